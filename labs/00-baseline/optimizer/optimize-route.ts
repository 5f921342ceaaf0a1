// POST /optimize: multipart image + watermark params in, watermarked JPEG out.
import type { RequestHandler } from 'express';
import type { LimitFunction } from 'p-limit';
import { AppError } from '../lib/errors.ts';
import { readImageForm } from '../lib/image-form.ts';
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
    const upload = pool.acquire();
    try {
      const form = await readImageForm(req, upload);
      if (!form.hasImage || upload.view().length === 0) throw new AppError('FILE_MISSING');
      const params = parseWatermarkParams(form.fields);
      const jpeg = await workers(() => watermarkImage(upload.view(), params, font));
      res.type('image/jpeg').send(jpeg);
    } finally {
      // Only now has sharp finished reading the bytes (see buffer-pool.ts).
      pool.release(upload);
    }
  };
}
