// Vitest globalSetup: one stack for the whole run, shared by every test file through
// inject('stack'); tests isolate themselves by key prefix, queue and bucket names. When
// `npm start` runs on this checkout, its servers are used as they are and never stopped here.
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { assertProviderChoice, startStack } from './index.ts';
import { StackError } from './stack-error.ts';
import { findRunningStack, stackFilePath } from './stack-file.ts';
import type { StackInfo } from './types.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

const root = resolve(import.meta.dirname, '../..');

/** npm start's servers when they answer and the provider asked for allows them; prints why not when they exist but cannot be used. */
async function runningStack(): Promise<StackInfo | undefined> {
  const choice = assertProviderChoice(process.env.STACK_PROVIDER || 'auto', 'STACK_PROVIDER');
  const running = await findRunningStack(stackFilePath(root));
  if (!running) return undefined;
  if (!running.reuse) {
    console.log(`stack: ${running.why}; starting this run's own servers`);
    return undefined;
  }
  const { pid, info } = running.reuse;
  if (choice !== 'auto' && choice !== info.provider) {
    console.log(`stack: npm start (pid ${pid}) runs ${info.provider} servers and STACK_PROVIDER=${choice}; starting this run's own servers`);
    return undefined;
  }
  console.log(`stack: reusing the servers of npm start (pid ${pid}, ${info.provider})`);
  return info;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now();
  const fail = (error: unknown): never => {
    // A known problem is one readable paragraph; vitest would bury it under a stack trace.
    if (error instanceof StackError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  };
  const reused = await runningStack().catch(fail);
  if (reused) {
    project.provide('stack', reused);
    // Not ours to stop: npm start owns these servers.
    return async () => {};
  }
  const stack = await startStack().catch(fail);
  console.log(`stack: ${stack.provider} provider ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const { stop, ...info } = stack;
  project.provide('stack', info);
  return stop;
}
