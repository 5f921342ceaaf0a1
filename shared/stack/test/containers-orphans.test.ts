import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerAnswers } from '../containers.ts';
import { networkExists, networkNameOf, stackContainers } from '../engine-api.ts';
import { waitUntilGone } from './process-table.ts';

// A child Node process starts a containers stack and prints what it guards; the test then
// ends that child the hard way and checks, through the engine's API, that every container
// of that stack and its network are gone, and the watchdog with them. Runs where an engine
// answers through a unix socket (npm test -- --part containers).
const fixture = fileURLToPath(new URL('./fixtures/start-containers-stack.ts', import.meta.url));
const engineHere = await dockerAnswers();
// Watchdog: notices at once; the engine stops each container (SIGTERM, then SIGKILL after
// its grace period) and removes it; one more look a second later for a create in flight.
const CLEANUP_TIMEOUT_MS = 60_000;

interface Guarded {
  stacks: string[];
  watchdog: number;
  socketPath?: string;
}

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
});

function startChild(mode: 'wait' | 'exit' | 'starting', services: string): Promise<Guarded> {
  child = spawn(process.execPath, [fixture, mode, services], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise<Guarded>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the child did not report its stack within 90 s')), 90_000);
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, out.indexOf('\n'))) as Guarded);
      }
    });
    child!.once('exit', (code) => reject(new Error(`the child exited (${code}) before reporting its stack`)));
  });
}

async function expectAllGone(guarded: Guarded): Promise<void> {
  const [stack] = guarded.stacks;
  const socketPath = guarded.socketPath!;
  const deadline = Date.now() + CLEANUP_TIMEOUT_MS;
  let left = await stackContainers(socketPath, stack);
  let network = await networkExists(socketPath, networkNameOf(stack!));
  while ((left.length > 0 || network) && Date.now() < deadline) {
    await sleep(250);
    left = await stackContainers(socketPath, stack);
    network = await networkExists(socketPath, networkNameOf(stack!));
  }
  expect(left, `containers of stack ${stack} left behind`).toEqual([]);
  expect(network, `network ${networkNameOf(stack!)} left behind`).toBe(false);
  const watchdog = { pid: guarded.watchdog, ppid: 0, pgid: guarded.watchdog, stat: 'S', command: 'watchdog' };
  expect(await waitUntilGone([watchdog], 5_000)).toEqual([]);
}

describe.skipIf(!engineHere)('no orphan containers', () => {
  it('SIGKILL of the process that started the stack leaves no container, network or watchdog', async () => {
    const guarded = await startChild('wait', 'redis,toxiproxy');
    expect(guarded.stacks).toHaveLength(1);
    expect(guarded.socketPath, 'the engine is reached through a unix socket').toBeTruthy();
    expect(await stackContainers(guarded.socketPath!, guarded.stacks[0])).toHaveLength(2);
    child!.kill('SIGKILL');
    await expectAllGone(guarded);
  }, 120_000);

  it('SIGKILL halfway through the start, before any container answered, leaves nothing behind', async () => {
    const guarded = await startChild('starting', 'rabbitmq,minio');
    // Until the engine has created a container, there would be nothing to prove.
    const deadline = Date.now() + 30_000;
    while ((await stackContainers(guarded.socketPath!, guarded.stacks[0])).length === 0 && Date.now() < deadline) await sleep(50);
    expect(await stackContainers(guarded.socketPath!, guarded.stacks[0])).not.toEqual([]);
    child!.kill('SIGKILL');
    await expectAllGone(guarded);
  }, 120_000);

  it('SIGTERM of the process that started the stack removes its containers', async () => {
    const guarded = await startChild('wait', 'redis');
    child!.kill('SIGTERM');
    await expectAllGone(guarded);
  }, 120_000);

  it('a process that exits without calling stop() takes its containers with it', async () => {
    const guarded = await startChild('exit', 'redis');
    await expectAllGone(guarded);
  }, 120_000);
});

