// Vitest globalSetup: one stack for the whole run, shared by every test file through
// inject('stack'); tests isolate themselves by key prefix, queue and bucket names.
import type { TestProject } from 'vitest/node';
import { startStack } from './index.ts';
import { StackError } from './stack-error.ts';
import type { StackInfo } from './types.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now();
  const stack = await startStack().catch((error: unknown) => {
    // A known problem is one readable paragraph; vitest would bury it under a stack trace.
    if (error instanceof StackError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  });
  console.log(`stack: ${stack.provider} provider ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const { stop, ...info } = stack;
  project.provide('stack', info);
  return stop;
}
