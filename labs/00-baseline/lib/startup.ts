// Start-up protocol shared by the three entry files: print one readiness line the harness
// waits for, or one line saying what failed and how to fix it, then exit 1.
import { once } from 'node:events';
import type { Server } from 'node:http';

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

/** Runs `start`, prints the line it returns, and exits 1 with one line if it throws. */
export async function startOrExit(service: string, start: () => Promise<string>): Promise<void> {
  try {
    console.log(await start());
  } catch (error) {
    // Bugs keep their stack; known situations get one readable line.
    console.error(`${service} failed to start: ${error instanceof StartupError ? error.message : error}`);
    if (!(error instanceof StartupError) && error instanceof Error) console.error(error.stack);
    process.exit(1);
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
