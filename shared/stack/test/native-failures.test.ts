import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBinary } from '../binaries.ts';
import { startNative } from '../native.ts';
import { guarded } from '../reaper.ts';
import { StackError } from '../stack-error.ts';

const toxiproxy = findBinary('toxiproxy-server');
const redis = findBinary('redis-server');
let binDir: string | undefined;

afterEach(() => {
  vi.unstubAllEnvs();
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

describe.skipIf(!toxiproxy || !redis)('native provider start failures', () => {
  it('a server that dies while starting is reported in one line with its last log lines, and the others are stopped', async () => {
    binDir = mkdtempSync(join(tmpdir(), 'nws-fake-bin-'));
    // A MinIO that fails the way a real one does on a bad flag or a full disk.
    writeFileSync(join(binDir, 'minio'), '#!/bin/sh\necho "starting"\necho "ERROR Unable to use the drive: disk full" >&2\nexit 3\n');
    chmodSync(join(binDir, 'minio'), 0o755);
    symlinkSync(toxiproxy!, join(binDir, 'toxiproxy-server'));
    vi.stubEnv('NWS_BIN_DIR', binDir);
    // The servers' temp dirs land here, apart from other test files' stacks.
    const scratch = join(binDir, 'tmp');
    mkdirSync(scratch);
    vi.stubEnv('TMPDIR', scratch);

    const error = await startNative(['redis', 'minio', 'toxiproxy'], () => {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StackError);
    expect((error as Error).message).toMatch(/^minio exited \(code 3\) before it answered http:\/\/127\.0\.0\.1:\d+\/minio\/health\/ready: starting \| ERROR Unable to use the drive: disk full$/);
    expect(guarded()).toMatchObject({ groups: [], dirs: [] });
    expect(readdirSync(scratch)).toEqual([]);
    // Redis and Toxiproxy had started: nothing runs with a path under the scratch dir any more.
    expect(execFileSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' })).not.toContain(scratch);
  });
});
