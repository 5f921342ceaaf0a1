import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { missingBinaries } from '../binaries.ts';
import { membersOf, waitUntilGone, type ProcessRow } from './process-table.ts';

// A child Node process starts a native stack and prints what it guards; the test then ends
// that child the hard way and checks that every server, every process in their groups
// (RabbitMQ's epmd and beam included) and the watchdog are gone within a few seconds.
const fixture = fileURLToPath(new URL('./fixtures/start-native-stack.ts', import.meta.url));
const nativeMissing = missingBinaries(['redis', 'rabbitmq', 'minio', 'toxiproxy']).length > 0;
const CLEANUP_TIMEOUT_MS = 5_000; // watchdog: notices at once, 1 s grace, then SIGKILL

interface Guarded {
  groups: number[];
  dirs: string[];
  watchdog: number;
}

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
});

async function startChild(mode: 'wait' | 'exit', services: string): Promise<{ guarded: Guarded; servers: ProcessRow[] }> {
  child = spawn(process.execPath, [fixture, mode, services], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the child did not report its stack within 45 s')), 45_000);
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.slice(0, out.indexOf('\n')));
      }
    });
    child!.once('exit', (code) => reject(new Error(`the child exited (${code}) before reporting its stack`)));
  });
  const guarded = JSON.parse(line) as Guarded;
  return { guarded, servers: membersOf(guarded.groups) };
}

async function expectAllGone({ guarded, servers }: { guarded: Guarded; servers: ProcessRow[] }): Promise<void> {
  const watchdog = { pid: guarded.watchdog, ppid: 0, pgid: guarded.watchdog, stat: 'S', command: 'watchdog' };
  expect(await waitUntilGone([...servers, watchdog], CLEANUP_TIMEOUT_MS)).toEqual([]);
  for (const dir of guarded.dirs) expect(existsSync(dir)).toBe(false);
}

describe.skipIf(nativeMissing)('no orphan servers', () => {
  it('SIGKILL of the process that started the stack leaves no server, group member, watchdog or temp dir', async () => {
    const started = await startChild('wait', 'redis,rabbitmq,minio,toxiproxy');
    const commands = started.servers.map((row) => row.command).join(' ');
    for (const name of ['redis-server', 'beam.smp', 'epmd', 'minio', 'toxiproxy-serv']) expect(commands).toContain(name);
    child!.kill('SIGKILL');
    await expectAllGone(started);
  }, 60_000);

  it('SIGTERM of the process that started the stack stops its servers', async () => {
    const started = await startChild('wait', 'redis,rabbitmq');
    child!.kill('SIGTERM');
    await expectAllGone(started);
  }, 60_000);

  it('a process that exits without calling stop() takes its servers with it', async () => {
    const started = await startChild('exit', 'redis,toxiproxy');
    await expectAllGone(started);
  }, 60_000);
});
