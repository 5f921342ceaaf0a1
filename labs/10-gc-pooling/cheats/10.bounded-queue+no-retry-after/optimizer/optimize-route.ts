// Cheat: the excess is refused with 503, but without Retry-After: the client is not told when to come back.
// POST /optimize: multipart image + watermark params in, watermarked JPEG out. Two step
// lines per image: `read` (the upload arriving) and `watermark` (the image work, with the
// time it waited for a slot in the worker pool), both with the caller's request id.
//
// The caller hanging up (the API's client left, or its call timed out) aborts this request's
// signal: an image still waiting for a slot in the worker pool never starts, one in the
// pipeline stops at the next step, and nothing is answered.
//
// Back-pressure: a request the worker pool cannot admit (every slot busy, its queue full) is
// answered 503 with Retry-After before its body is read; the API queues the job for later.
import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors.ts';
import { requestLog } from '../lib/request-context.ts';
import { requestSignal } from '../lib/request-signal.ts';
import { elapsedMs, measureStep } from '../lib/step-log.ts';
import { parseWatermarkParams } from '../lib/watermark-params.ts';
import type { Font } from './font.ts';
import type { UploadReader } from './receive-upload.ts';
import { watermarkImage } from './watermark-image.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface OptimizeDeps {
  readUpload: UploadReader;
  workers: WorkerPool;
  /** Sent as Retry-After with a refusal. */
  retryAfterSeconds: number;
  font: Font;
}

export function optimizeRoute({ readUpload, workers, font, retryAfterSeconds }: OptimizeDeps): RequestHandler {
  return async (req, res) => {
    const log = requestLog(req);
    const signal = requestSignal(res);
    const leave = workers.admit();
    if (!leave) {
      throw new AppError('OPTIMIZER_BUSY', undefined, { retryAfterSeconds });
    }
    try {
      const { value: upload } = await measureStep(log, { step: 'read' }, () => readUpload(req), (read) => ({
        outcome: 'ok',
        bytes: read.bytes().length,
      }));
      try {
        if (!upload.hasImage || upload.bytes().length === 0) throw new AppError('FILE_MISSING');
        const params = parseWatermarkParams(upload.fields);
        const queuedAt = performance.now();
        const jpeg = await workers.run(async () => {
          // The caller may have left while this image waited for its slot: then it never starts.
          signal.throwIfAborted();
          const waitMs = elapsedMs(queuedAt);
          const { value } = await measureStep(log.child({ wait_ms: waitMs }), { step: 'watermark', span: 'optimize' }, () => watermarkImage(upload.bytes(), params, font, signal), (out) => ({
            outcome: 'ok',
            bytes: out.length,
          }));
          return value;
        });
        res.type('image/jpeg').send(jpeg);
      } finally {
        // Only now has sharp finished reading the bytes: watermarkImage settles only between
        // two steps, never while one still reads the input.
        upload.release();
      }
    } catch (error) {
      if (!signal.aborted) throw error;
      // Nobody to answer: its connection is closed. The summary line says aborted.
      log.info('image abandoned: the caller went away');
    } finally {
      leave();
    }
  };
}
