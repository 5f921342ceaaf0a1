// Kills the native servers, and removes the containers, when the process that started them
// dies without stopping them (SIGKILL, OOM killer, a crashed test runner): signal handlers
// cannot run then, this can. Started by reaper.ts in its own process group, so a Ctrl-C
// aimed at the test runner does not reach it. Usage: node watchdog.ts <parent pid>, then
// lines on stdin:
//   +group <pgid> | -group <pgid> | +dir <path> | -dir <path> | +stack <id> <socket> | -stack <id>
// It acts when stdin closes (the parent is gone, or done) or the parent pid disappears.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeStack } from './engine-api.ts';

const GRACE_MS = 1_000; // between SIGTERM and SIGKILL
const POLL_MS = 500; // parent liveness check, in case stdin is somehow kept open

const parentPid = Number(process.argv[2]);
const groups = new Set<number>();
const dirs = new Set<string>();
const stacks = new Map<string, string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroups(signal: NodeJS.Signals): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // The group is already gone.
    }
  }
}

function apply(line: string): void {
  const space = line.indexOf(' ');
  const verb = line.slice(0, space);
  const arg = line.slice(space + 1);
  if (verb === '+group') groups.add(Number(arg));
  else if (verb === '-group') groups.delete(Number(arg));
  else if (verb === '+dir') dirs.add(arg);
  else if (verb === '-dir') dirs.delete(arg);
  else if (verb === '+stack') stacks.set(arg.slice(0, arg.indexOf(' ')), arg.slice(arg.indexOf(' ') + 1));
  else if (verb === '-stack') stacks.delete(arg);
}

let cleaning = false;
async function cleanUp(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  clearInterval(poll);
  // The containers are removed meanwhile: the engine stops them with its own grace period.
  const containers = Promise.allSettled([...stacks].map(([id, socketPath]) => removeStack(socketPath, id)));
  if (groups.size > 0) {
    signalGroups('SIGTERM');
    await sleep(GRACE_MS);
    signalGroups('SIGKILL');
  }
  await containers;
  for (const dir of dirs) {
    try {
      // Retries: a server may still be writing for a moment after SIGKILL is sent.
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Nothing left to report to: the parent is gone.
    }
  }
  process.exit(0);
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) apply(line);
});
process.stdin.on('end', () => void cleanUp());
process.stdin.on('error', () => void cleanUp());

const poll = setInterval(() => {
  if (!isAlive(parentPid)) void cleanUp();
}, POLL_MS);
