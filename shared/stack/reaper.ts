// Makes sure no native server, and no container of the containers provider, outlives the
// process that started it. Three layers: stop() is the normal path; exit and signal handlers
// cover a crash or a Ctrl-C; the watchdog child covers what no handler sees (SIGKILL of the
// test runner). Containers are the watchdog's alone: removing them takes calls to the engine,
// which no synchronous exit handler can make; it removes them when this process is gone.
// Armed while anything is tracked, disarmed (listeners removed, watchdog released) after.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const groups = new Set<number>();
const dirs = new Set<string>();
/** Container stacks: their id (the label value of their containers) and the engine's socket. */
const stacks = new Map<string, string>();
let watchdog: ChildProcess | undefined;

function signalGroups(signal: NodeJS.Signals): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // The group is already gone.
    }
  }
}

// 'exit' handlers must be synchronous: no grace period, straight SIGKILL.
function onExit(): void {
  signalGroups('SIGKILL');
  for (const dir of dirs) {
    try {
      // Retries: a server may still be writing for a moment after SIGKILL is sent.
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Leave it; a throw here would print a stack trace on the way out.
    }
  }
}

/**
 * signal-exit's listeners (proper-lockfile, which testcontainers uses, loads version 3) only
 * watch, like ours: each copy re-raises the signal when it counts no other listener, so
 * counted as owners they and ours would each wait for the other, and SIGTERM would end nothing.
 */
function watchingListeners(): number {
  const v3 = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__?.count;
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[Symbol.for('signal-exit emitter')]?.count;
  return (typeof v3 === 'number' ? v3 : 0) + (typeof v4 === 'number' ? v4 : 0);
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener (npm start, a test runner) owns the shutdown and will call stop();
  // the exit handler and the watchdog remain as backstops.
  if (process.listenerCount(signal) - 1 - watchingListeners() > 0) return;
  // Ours alone replaced Node's default "terminate": stop the servers, then restore it.
  // The watchdog escalates to SIGKILL and removes the temp dirs.
  signalGroups('SIGTERM');
  disarm();
  process.kill(process.pid, signal);
}

function send(line: string): void {
  watchdog?.stdin?.write(`${line}\n`);
}

function arm(): void {
  if (watchdog) return;
  const script = fileURLToPath(new URL('./watchdog.ts', import.meta.url));
  watchdog = spawn(process.execPath, [script, String(process.pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  // A watchdog that died early must not crash us with EPIPE; the handlers still cover us.
  watchdog.stdin?.on('error', () => {});
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function disarm(): void {
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Closing stdin with nothing registered lets the watchdog exit quietly.
  watchdog?.stdin?.end();
  watchdog = undefined;
}

function disarmWhenIdle(): void {
  if (groups.size === 0 && dirs.size === 0 && stacks.size === 0) disarm();
}

export function trackGroup(pgid: number): void {
  arm();
  groups.add(pgid);
  send(`+group ${pgid}`);
}

export function untrackGroup(pgid: number): void {
  groups.delete(pgid);
  send(`-group ${pgid}`);
  disarmWhenIdle();
}

export function trackDir(dir: string): void {
  arm();
  dirs.add(dir);
  send(`+dir ${dir}`);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
  send(`-dir ${dir}`);
  disarmWhenIdle();
}

/** Registers a container stack before its first container exists: the watchdog removes every container labelled with it. */
export function trackStack(id: string, socketPath: string): void {
  arm();
  stacks.set(id, socketPath);
  send(`+stack ${id} ${socketPath}`);
}

export function untrackStack(id: string): void {
  stacks.delete(id);
  send(`-stack ${id}`);
  disarmWhenIdle();
}

/** What is guarded right now, for tests that check nothing is left behind. */
export function guarded(): { groups: number[]; dirs: string[]; stacks: string[]; watchdog: number | undefined } {
  return { groups: [...groups], dirs: [...dirs], stacks: [...stacks.keys()], watchdog: watchdog?.pid };
}
