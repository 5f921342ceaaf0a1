// Graceful shutdown, the same way in the three processes. SIGTERM (docker stop, a Kubernetes
// rollout or scale-down) or SIGINT (Ctrl+C) runs the process's `stop` once, with a deadline
// of SHUTDOWN_GRACE_MS: `stop` finishes or hands back what the process holds, closes its
// clients, and the process exits 0; 1 when the deadline cut work short or `stop` failed.
// A second signal means "now": exit 1 at once.
//
// Go's version is signal.NotifyContext + srv.Shutdown(ctx) with a context.WithTimeout; here
// the deadline is an AbortSignal.timeout that `stop` passes on to whatever it waits for.
import type { Logger } from './logger.ts';
import { elapsedMs } from './step-log.ts';

export interface ShutdownOptions {
  log: Logger;
  /** SHUTDOWN_GRACE_MS: how long `stop` may take, counted from the signal. */
  graceMs: number;
}

/**
 * What a process does to stop. `deadline` aborts when the grace period is over: whatever is
 * still running must then be abandoned (and handed back where it can be). Resolves to true
 * when nothing was lost or cut, false otherwise.
 */
export type Stop = (deadline: AbortSignal) => Promise<boolean>;

// Past the deadline, `stop` gets this long to abandon its work and close before the process
// exits anyway: an orchestrator's SIGKILL must never be what ends it.
const backstopMs = 1_000;

export function exitOnShutdownSignal({ log, graceMs }: ShutdownOptions, stop: Stop): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, `${signal} again: exiting now, without waiting`);
      process.exit(1);
    }
    stopping = true;
    const startedAt = performance.now();
    log.info({ signal, grace_ms: graceMs }, `${signal}: shutting down within ${graceMs} ms`);
    const deadline = AbortSignal.timeout(graceMs);
    // Kept referenced on purpose: if `stop` waits on a promise that no handle keeps alive, the
    // loop must not run dry and exit 0 as if all had gone well.
    setTimeout(() => {
      log.error({ duration_ms: elapsedMs(startedAt) }, `shutdown still not finished ${backstopMs} ms after the ${graceMs} ms deadline; exiting`);
      process.exit(1);
    }, graceMs + backstopMs);
    stop(deadline).then(
      (clean) => {
        const durationMs = elapsedMs(startedAt);
        if (clean) log.info({ duration_ms: durationMs }, 'shutdown complete');
        else log.warn({ duration_ms: durationMs }, 'shutdown complete, but the deadline cut work short');
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        log.error({ err: error, duration_ms: elapsedMs(startedAt) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
