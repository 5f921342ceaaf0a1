import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

// Start-up configuration errors stop the process with one clear line, before any connection.
// The bound leaves room for a cold start on a busy 2-core machine.
const EXIT_WITHIN_MS = 25_000;

function run(entry: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [entry], {
    cwd: inject('tree'),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: EXIT_WITHIN_MS,
  });
}

describe('configuration', () => {
  const cases = [
    ['api/server.ts', { API_PORT: 'not-a-port' }, 'API_PORT'],
    ['api/server.ts', { REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    ['optimizer/server.ts', { OPTIMIZER_CONCURRENCY: '0' }, 'OPTIMIZER_CONCURRENCY'],
    ['worker/worker.ts', { RETRY_DELAY_MS: '-5' }, 'RETRY_DELAY_MS'],
  ] as const;
  for (const [entry, env, name] of cases) {
    it(`${entry} exits 1 naming ${name} when it is malformed, without a stack trace`, { timeout: EXIT_WITHIN_MS + 5_000 }, () => {
      const result = run(join(inject('tree'), entry), env);
      if (result.signal) expect.fail(`${entry} with a malformed ${name} did not exit within ${EXIT_WITHIN_MS / 1000} s (killed by ${result.signal}); it printed: ${(result.stderr + result.stdout).slice(-300)}`);
      expect(result.status).toBe(1);
      const output = (result.stderr + result.stdout).trim();
      expect(output).toContain(name);
      expect(output).not.toMatch(/^\s+at /m);
      expect(output.split('\n').length).toBeLessThanOrEqual(2);
    });
  }
});
