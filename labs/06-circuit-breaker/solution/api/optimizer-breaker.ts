// The optimizer call behind a circuit breaker (opossum) with a bulkhead. Release It!'s two
// patterns for a dependency that hangs:
// - the bulkhead: at most OPTIMIZER_CONCURRENCY calls wait on the optimizer at once; one more
//   is not made, it is answered "unavailable" at once (and queued by the upload route);
// - the breaker: once BREAKER_FAILURES calls in a row have failed (no answer within
//   OPTIMIZER_TIMEOUT_MS, refused, reset, a 5xx), it opens and no call is made at all for
//   BREAKER_RESET_MS; then it lets exactly one call through (half-open): its success closes
//   the breaker, its failure opens it again for another BREAKER_RESET_MS.
// Either way the upload does not wait: "unavailable" is the fallback, and the route queues the
// job for the worker and answers 202 at once.
//
// "N failures in a row" on opossum's rolling window: opossum opens when, over the last
// BREAKER_WINDOW_MS, at least `volumeThreshold` calls were made and more than
// `errorThresholdPercentage` of them failed. volumeThreshold N with a threshold of 99 % means
// "at least N calls and (below 100 calls) not one success": N failures with no success
// among them. It is not a strict streak: a success that happened earlier in the window keeps
// the breaker closed until it leaves the window, and failures spread over more than the
// window never add up. Calls refused by the bulkhead count as failures in opossum's stats,
// which is why the threshold is 99 % and not lower: a full bulkhead with a healthy optimizer
// (half the calls refused) must not open the breaker.
import CircuitBreaker from 'opossum';
import type { Logger } from '../lib/logger.ts';
import type { OptimizeOutcome } from '../lib/optimizer-client.ts';

export interface BreakerSettings {
  /** BREAKER_FAILURES: failures in a row that open the breaker. */
  failures: number;
  /** BREAKER_RESET_MS: how long it stays open before one call may try again. */
  resetMs: number;
  /** BREAKER_WINDOW_MS: the window opossum counts failures in. */
  windowMs: number;
  /** OPTIMIZER_CONCURRENCY: the bulkhead, calls that may wait on the optimizer at once. */
  concurrency: number;
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
    errorThresholdPercentage: 99,
    rollingCountTimeout: settings.windowMs,
    rollingCountBuckets: 10,
    resetTimeout: settings.resetMs,
    capacity: settings.concurrency,
    // Anything else the call throws is the caller's cancellation (the client left): not the
    // optimizer's failure.
    errorFilter: (error: unknown) => !(error instanceof OptimizerUnavailable),
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
        if (code === 'ESEMLOCKED') return { kind: 'unavailable', reason: `${settings.concurrency} optimizer calls already waiting: not called` };
        throw error;
      }
    },
    report() {
      const { fires, successes, failures, rejects, semaphoreRejections } = breaker.stats;
      return { state: state(), settings, window: { fires, successes, failures, rejects, semaphoreRejections } };
    },
  };
}
