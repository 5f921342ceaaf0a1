// Warns in the log about uploads still running after a few seconds.
// DELIBERATE LEAK (lab 04 fixes it): the interval is never cleared, so every upload leaves
// one active timer (and its response object) behind for the life of the process, the
// event-loop analogue of a goroutine that never returns.
import type { Response } from 'express';

const checkEveryMs = 2_000;

export function watchSlowUpload(res: Response): void {
  const startedAt = performance.now();
  let warned = false;
  setInterval(() => {
    if (warned || res.writableFinished) return;
    warned = true;
    console.log(`upload still running after ${Math.round(performance.now() - startedAt)} ms`);
  }, checkEveryMs);
}
