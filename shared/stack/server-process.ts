// One native server as a child process: spawned detached (its own process group, so the
// helpers it forks die with it), output to a log file in its temp dir, stopped by group.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { trackGroup, untrackGroup } from './reaper.ts';
import { StackError } from './stack-error.ts';

const STOP_GRACE_MS = 2_000; // SIGTERM → SIGKILL; the data is throwaway, a clean shutdown is a courtesy

export interface ServerProcess {
  name: string;
  pid: number;
  logPath: string;
  /** Set once the process has exited: its exit code, or the signal that ended it. */
  exit?: string;
  exited: Promise<void>;
}

export function spawnServer(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; logPath: string }): ServerProcess {
  const log = openSync(options.logPath, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log], env: options.env ?? process.env });
  closeSync(log);
  // A spawn failure (ENOENT, EACCES) also arrives as 'error'; pid is then undefined.
  child.on('error', () => {});
  if (child.pid === undefined) throw new StackError(`${name}: could not start ${command}`);
  trackGroup(child.pid);
  // The servers' lifetime is bound to this process by the reaper, not by the event loop.
  child.unref();
  const server: ServerProcess = {
    name,
    pid: child.pid,
    logPath: options.logPath,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        server.exit = signal ?? `code ${code}`;
        resolve();
      });
    }),
  };
  return server;
}

/** SIGTERM to the whole group, SIGKILL after a grace period; resolves when the leader is gone. */
export async function stopServer(server: ServerProcess): Promise<void> {
  if (!server.exit) {
    signalGroup(server.pid, 'SIGTERM');
    await Promise.race([server.exited, sleep(STOP_GRACE_MS)]);
  }
  // Also catches group members that outlived their leader.
  signalGroup(server.pid, 'SIGKILL');
  await Promise.race([server.exited, sleep(STOP_GRACE_MS)]);
  untrackGroup(server.pid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

/** The last lines of a server's log, squeezed onto one line for an error message. */
export function logTail(server: ServerProcess, lines = 3): string {
  let text: string;
  try {
    text = readFileSync(server.logPath, 'utf8');
  } catch {
    return '(no log)';
  }
  const tail = text.split('\n').map((line) => line.trim()).filter(Boolean).slice(-lines);
  return tail.length ? tail.join(' | ') : '(empty log)';
}
