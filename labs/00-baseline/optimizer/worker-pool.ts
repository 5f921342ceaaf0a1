// The optimizer's worker pool: at most `concurrency` images in the pipeline at once (Go's
// one-slot-per-CPU semaphore). sharp runs on the libuv thread pool, the colour measurement on
// the event loop; both stay within this bound.
// DELIBERATE WEAKNESS (lab 10 fixes it): the queue in front of the pool is unbounded, so a
// burst piles up requests and their buffers in memory instead of being refused.
import pLimit from 'p-limit';
import type { LimitFunction } from 'p-limit';

export function createWorkerPool(concurrency: number): LimitFunction {
  return pLimit(concurrency);
}
