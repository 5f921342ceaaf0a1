// Starts one process of a tree against a Redis that refuses connections, and collects what it
// printed before it gave up: the start-up failure path, which a normal run never shows.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../../shared/harness/ports.ts';

export interface StartupFailure {
  status: number | null;
  output: string;
}

const entries = { api: 'api/server.ts', worker: 'worker/worker.ts' } as const;

export async function failStartup(tree: string, name: keyof typeof entries, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<StartupFailure> {
  const child = spawn(process.execPath, [join(tree, entries[name])], {
    cwd: tree,
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: 'redis://127.0.0.1:1',
      API_PORT: String(await freePort()),
      API_ADMIN_PORT: String(await freePort()),
      WORKER_ADMIN_PORT: String(await freePort()),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${name} did not exit within ${timeoutMs / 1000} s of starting against a Redis that refuses connections; it printed:\n${output.slice(-600)}`));
    }, timeoutMs);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
