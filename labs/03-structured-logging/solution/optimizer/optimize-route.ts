// POST /optimize: multipart image + watermark params in, watermarked JPEG out. Two step
// lines per image: `read` (the upload arriving) and `watermark` (the image work, with the
// time it waited for a slot in the worker pool), both with the caller's request id.
import type { RequestHandler } from 'express';
import type { LimitFunction } from 'p-limit';
import { AppError } from '../lib/errors.ts';
import { readImageForm } from '../lib/image-form.ts';
import { requestLog } from '../lib/request-context.ts';
import { elapsedMs, measureStep } from '../lib/step-log.ts';
import { parseWatermarkParams } from '../lib/watermark-params.ts';
import type { BufferPool } from './buffer-pool.ts';
import type { Font } from './font.ts';
import { watermarkImage } from './watermark-image.ts';

export interface OptimizeDeps {
  pool: BufferPool;
  workers: LimitFunction;
  font: Font;
}

export function optimizeRoute({ pool, workers, font }: OptimizeDeps): RequestHandler {
  return async (req, res) => {
    const log = requestLog(req);
    const upload = pool.acquire();
    try {
      const { value: form } = await measureStep(log, { step: 'read' }, () => readImageForm(req, upload), () => ({
        outcome: 'ok',
        bytes: upload.view().length,
      }));
      if (!form.hasImage || upload.view().length === 0) throw new AppError('FILE_MISSING');
      const params = parseWatermarkParams(form.fields);
      const queuedAt = performance.now();
      const jpeg = await workers(async () => {
        const waitMs = elapsedMs(queuedAt);
        const { value } = await measureStep(log.child({ wait_ms: waitMs }), { step: 'watermark' }, () => watermarkImage(upload.view(), params, font), (out) => ({
          outcome: 'ok',
          bytes: out.length,
        }));
        return value;
      });
      res.type('image/jpeg').send(jpeg);
    } finally {
      // Only now has sharp finished reading the bytes (see buffer-pool.ts).
      pool.release(upload);
    }
  };
}
