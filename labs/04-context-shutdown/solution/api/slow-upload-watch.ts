// Warns in the log about an upload still running after a few seconds. The timer belongs to
// the request: it is cleared when the response closes (answered, failed or abandoned), so an
// upload leaves nothing behind in the event loop. An interval that nobody clears would keep a
// timer, its closure and the response alive for the life of the process, one per upload: the
// event-loop twin of a goroutine started for every request with no way to return.
import type { Request, Response } from 'express';
import { requestLog } from '../lib/request-context.ts';

const warnAfterMs = 2_000;

export function watchSlowUpload(req: Request, res: Response): void {
  const log = requestLog(req);
  const startedAt = performance.now();
  const timer = setTimeout(() => {
    const runningMs = Math.round(performance.now() - startedAt);
    log.warn({ running_ms: runningMs }, `upload still running after ${runningMs} ms`);
  }, warnAfterMs);
  // Not unref(): that would only hide the timer from the event loop's count, not free it.
  res.once('close', () => clearTimeout(timer));
}
