// Warns once in the log about an upload still running after a few seconds: each upload gets
// an interval that looks every 2 s at whether its response has finished, and writes one
// warning (with running_ms) the first time it has not.
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
