// Cheat: the start-up failure is still a plain console.error line: only what a normal run shows is JSON
// Start-up protocol shared by the three entry files: log one readiness line the harness
// waits for, or one fatal line saying what failed and how to fix it, then exit 1.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Logger } from './logger.ts';

/** An expected start-up problem (bad variable, unreachable dependency): printed without a stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Runs one start-up step and turns its failure into a StartupError that names the
 * dependency and the variable to fix, e.g. "cannot reach Redis at redis://…".
 */
export async function dependencyStep<T>(what: string, fix: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new StartupError(`cannot reach ${what} (${describe(error)}); ${fix}`, { cause: error });
  }
}

/** Listens on host:port; a taken or forbidden port becomes a one-line StartupError. */
export async function listen(server: Server, host: string, port: number, variables: string): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    throw new StartupError(`cannot listen on ${host}:${port} (${describe(error)}); free the port or set ${variables}`, { cause: error });
  }
}

/** What a process's start-up function hands back once everything is connected. */
export interface Started {
  /** The process's root logger, built from its validated config. */
  log: Logger;
  /** The readiness line's message; it must contain "<service> ready" (the harness waits for it). */
  ready: string;
  /** The validated config, logged on the ready line with its secrets censored. */
  config: object;
}

/**
 * Runs `start` and logs its ready line with the config, or logs one fatal line and exits 1
 * if it throws. From then on, an uncaught exception or unhandled rejection is logged as one
 * fatal JSON line before the process exits, instead of a bare stack on stderr.
 */
export async function startOrExit(service: string, start: () => Promise<Started>): Promise<void> {
  let started: Started;
  try {
    started = await start();
  } catch (error) {
    // The config may be what failed, so this logger uses the defaults (info, auto). Known
    // situations get one readable line; bugs keep their stack, inside the same JSON line.
    console.error(`${service} failed to start: ${error instanceof StartupError ? error.message : describe(error)}`);
    process.exit(1);
  }
  const { log, ready, config } = started;
  log.info({ config: { ...config } }, ready);
  const crash = (kind: string) => (error: unknown) => {
    log.fatal({ err: error }, `${service} crashed: ${kind}: ${describe(error)}`);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
