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
import CircuitBreaker from 'opossum';
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

/** An optimizer answer that is a failure for the breaker ("unavailable"). */
class OptimizerUnavailable extends Error {
  override name = 'OptimizerUnavailable';
}

export function guardOptimizer<A extends unknown[]>(call: (...args: A) => Promise<OptimizeOutcome>, settings: BreakerSettings, log: Logger): GuardedOptimizer<A> {
  const action = async (...args: A): Promise<OptimizeOutcome> => {
    const outcome = await call(...args);
    // An image or a rejected input (4xx) is a healthy optimizer; only "unavailable" fails.
    if (outcome.kind === 'unavailable') throw new OptimizerUnavailable(outcome.reason);
    return outcome;
  };
  const breaker = new CircuitBreaker(action, {
    // The call bounds itself with OPTIMIZER_TIMEOUT_MS and closes its connection when it
    // gives up; opossum's own timer would only stop waiting for it.
    timeout: false,
    volumeThreshold: settings.failures,
    errorThresholdPercentage: 50,
    rollingCountTimeout: settings.windowMs,
    rollingCountBuckets: 10,
    resetTimeout: settings.resetMs,
    capacity: settings.capacity,
    // What the call throws besides "unavailable" is the caller's cancellation (the client
    // left): not the optimizer's failure. opossum asks about its own refusals too (ESEMLOCKED):
    // those stay failures.
    errorFilter: (error: unknown) => !(error instanceof OptimizerUnavailable) && (error as { code?: unknown }).code !== 'ESEMLOCKED',
  });
  const breakerLog = log.child({ component: 'optimizer-breaker' });
  breaker.on('open', () => breakerLog.warn({ breaker: 'open', reset_ms: settings.resetMs }, `optimizer breaker open: no call for ${settings.resetMs} ms, uploads are queued at once`));
  breaker.on('halfOpen', () => breakerLog.info({ breaker: 'half-open' }, 'optimizer breaker half-open: the next call is the probe'));
  breaker.on('close', () => breakerLog.info({ breaker: 'closed' }, 'optimizer breaker closed: calls go through again'));

  const state = (): BreakerState => (breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed');
  return {
    async optimize(...args) {
      try {
        return await breaker.fire(...args);
      } catch (error) {
        if (error instanceof OptimizerUnavailable) return { kind: 'unavailable', reason: error.message };
        const code = (error as { code?: unknown }).code;
        // The fallback: no call made, the route queues the job at once.
        if (code === 'EOPENBREAKER') return { kind: 'unavailable', reason: `optimizer breaker ${state()}: not called` };
        if (code === 'ESEMLOCKED') return { kind: 'unavailable', reason: `${settings.capacity} optimizer calls already waiting: not called` };
        throw error;
      }
    },
    report() {
      const { fires, successes, failures, rejects, semaphoreRejections } = breaker.stats;
      return { state: state(), settings, window: { fires, successes, failures, rejects, semaphoreRejections } };
    },
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
