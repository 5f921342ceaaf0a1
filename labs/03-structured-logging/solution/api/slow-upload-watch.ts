// Warns in the log about uploads still running after a few seconds.
// DELIBERATE LEAK (lab 04 fixes it): the interval is never cleared, so every upload leaves
// one active timer (and its response object) behind for the life of the process, the
// event-loop analogue of a goroutine that never returns.
import type { Request, Response } from 'express';
import { requestLog } from '../lib/request-context.ts';

const checkEveryMs = 2_000;

export function watchSlowUpload(req: Request, res: Response): void {
  const log = requestLog(req);
  const startedAt = performance.now();
  let warned = false;
  setInterval(() => {
    if (warned || res.writableFinished) return;
    warned = true;
    const runningMs = Math.round(performance.now() - startedAt);
    log.warn({ running_ms: runningMs }, `upload still running after ${runningMs} ms`);
  }, checkEveryMs);
}
