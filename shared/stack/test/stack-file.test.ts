// The file npm start leaves for test runs to reuse its servers: read back only when whole, and
// trusted only while its pid lives and every server answers, checked against this run's stack.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findRunningStack, isAlive, probeStack, readStackFile, removeStackFile, writeStackFile } from '../stack-file.ts';
import type { StackInfo } from '../types.ts';

const dir = mkdtempSync(join(tmpdir(), 'nws-stack-file-'));
const path = join(dir, '.lab', 'stack.json');
const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
// A listener that accepts and never answers: the probes must give up on it in time.
let silent: Server;
let silentPort = 0;

beforeAll(async () => {
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(() => {
  silent?.close();
  rmSync(dir, { recursive: true, force: true });
});

function withRedisAt(info: StackInfo, url: string): StackInfo {
  return { ...info, redis: { url } };
}

describe('the stack file', () => {
  it('reads back what was written, and nothing from a missing, broken or partial file', () => {
    const info = inject('stack');
    expect(readStackFile(path)).toBeUndefined();
    writeStackFile(path, info, 1234);
    expect(readStackFile(path)).toEqual({ pid: 1234, info });
    writeFileSync(path, '{"pid": 1234, "info": {"provider": "native"');
    expect(readStackFile(path)).toBeUndefined();
    writeFileSync(path, JSON.stringify({ pid: 1234, info: { provider: 'native', redis: info.redis } }));
    expect(readStackFile(path)).toBeUndefined();
  });

  it('is removed only by the process it names', () => {
    writeStackFile(path, inject('stack'), 1234);
    removeStackFile(path, 4321);
    expect(existsSync(path)).toBe(true);
    removeStackFile(path, 1234);
    expect(existsSync(path)).toBe(false);
  });

  it('tells a live pid from one that has exited', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(deadPid)).toBe(false);
  });
});

describe('finding the servers of a running npm start', () => {
  it('finds nothing without a file', async () => {
    rmSync(path, { force: true });
    expect(await findRunningStack(path)).toBeUndefined();
  });

  it('reuses the servers when the pid lives and all four answer', async () => {
    const info = inject('stack');
    expect(await probeStack(info)).toBeUndefined();
    writeStackFile(path, info, process.pid);
    expect(await findRunningStack(path)).toEqual({ reuse: { pid: process.pid, info } });
  });

  it('refuses a file whose npm start is gone, and removes it', async () => {
    writeStackFile(path, inject('stack'), deadPid);
    expect(await findRunningStack(path)).toEqual({ why: `npm start (pid ${deadPid}) is gone (its stale stack file is removed)` });
    expect(existsSync(path)).toBe(false);
  });

  it('refuses servers that do not answer, naming the first, within the probe bound', async () => {
    writeStackFile(path, withRedisAt(inject('stack'), `redis://127.0.0.1:${silentPort}`), process.pid);
    const t0 = performance.now();
    const found = await findRunningStack(path, 300);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(found).toEqual({ why: `Redis at redis://127.0.0.1:${silentPort} of npm start (pid ${process.pid}) did not answer within 300 ms` });
  });

  it('refuses a server that refuses connections', async () => {
    const info = inject('stack');
    const closed = { ...info, minio: { ...info.minio, endpoint: 'http://127.0.0.1:1' } };
    expect(await probeStack(closed)).toBe('MinIO at http://127.0.0.1:1');
  });
});
