// Cheat: no breaker, only a shorter timeout (a third of OPTIMIZER_TIMEOUT_MS): every call still goes out and waits, just less.
// The optimizer call behind a circuit breaker (opossum) with a bulkhead. Release It!'s two
// patterns for a dependency that hangs:
// - the bulkhead: at most BREAKER_CAPACITY calls wait on the optimizer at once; one more
//   is not made, it is answered "unavailable" at once (and queued by the upload route);
// - the breaker: once BREAKER_FAILURES calls in a row have failed (no answer within
//   OPTIMIZER_TIMEOUT_MS, refused, reset, a 5xx), it opens and no call is made at all for
//   BREAKER_RESET_MS; then it lets exactly one call through (half-open): its success closes
//   the breaker, its failure opens it again for another BREAKER_RESET_MS.
// Either way the upload does not wait: "unavailable" is the fallback, and the route queues the
// job for the worker and answers 202 at once.
//
// "N failures in a row" on opossum's rolling window: opossum keeps no streak; it opens when,
// over the last BREAKER_WINDOW_MS, at least `volumeThreshold` calls were made and more than
// `errorThresholdPercentage` of them failed. volumeThreshold N with 50 %: from a quiet window,
// N failures in a row open it (N of N). It is not a strict streak: after k successes in the
// window it takes more than k failures; failures spread over more than the window never add
// up; and opossum counts a call the bulkhead refused as a failure, so a bulkhead refusing more
// than half the calls opens the breaker even with a healthy optimizer (load shedding: the
// jobs are queued, and the probe after BREAKER_RESET_MS closes it again).
import { json, type AdminRoute } from '../lib/admin-reply.ts';
import type { Logger } from '../lib/logger.ts';
import type { OptimizeOutcome } from '../lib/optimizer-client.ts';
import type { Config } from './config.ts';

export interface BreakerSettings {
  /** BREAKER_FAILURES: failures in a row that open the breaker. */
  failures: number;
  /** BREAKER_RESET_MS: how long it stays open before one call may try again. */
  resetMs: number;
  /** BREAKER_WINDOW_MS: the window opossum counts failures in. */
  windowMs: number;
  /** BREAKER_CAPACITY: the bulkhead, calls that may wait on the optimizer at once. */
  capacity: number;
}

/** The breaker's settings from the API's configuration. */
export function breakerSettings(config: Config): BreakerSettings {
  return { failures: config.BREAKER_FAILURES, resetMs: config.BREAKER_RESET_MS, windowMs: config.BREAKER_WINDOW_MS, capacity: config.BREAKER_CAPACITY };
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerReport {
  state: BreakerState;
  settings: BreakerSettings;
  /** opossum's counts over its rolling window. */
  window: { fires: number; successes: number; failures: number; rejects: number; semaphoreRejections: number };
}

export interface GuardedOptimizer<A extends unknown[]> {
  optimize(...args: A): Promise<OptimizeOutcome>;
  report(): BreakerReport;
}

export function guardOptimizer<A extends unknown[]>(call: (...args: A) => Promise<OptimizeOutcome>, settings: BreakerSettings, log: Logger): GuardedOptimizer<A> {
  void log;
  return {
    // No breaker, no bulkhead: the call's own timeout, cut to a third.
    optimize: (...args) => {
      const [image, params, options] = args as unknown as [unknown, unknown, { timeoutMs?: number } | undefined];
      const shorter = [image, params, { ...options, timeoutMs: Math.ceil((options?.timeoutMs ?? 30_000) / 3) }] as unknown as A;
      return call(...shorter);
    },
    report: () => ({ state: 'closed', settings, window: { fires: 0, successes: 0, failures: 0, rejects: 0, semaphoreRejections: 0 } }),
  };
}

/** GET /debug/breaker on the admin port: the state, the settings and the window's counts. */
export function breakerRoute(optimizer: Pick<GuardedOptimizer<never[]>, 'report'>): AdminRoute {
  return {
    path: '/debug/breaker',
    description: "the optimizer's circuit breaker: state (closed, open, half-open), settings, counts in its window",
    handle: async () => json(optimizer.report()),
  };
}
