// GET /image/:key: a finished image, from the Redis cache.
import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors.ts';
import { isDigest } from '../lib/names.ts';
import type { ResultStore } from '../lib/results.ts';
import { sendBody } from './send-body.ts';

export function imageRoute(results: ResultStore): RequestHandler<{ key: string }> {
  return async (req, res) => {
    const { key } = req.params;
    const image = isDigest(key) ? await results.getImage(key) : null;
    if (!image) throw new AppError('RESULT_NOT_FOUND');
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: image });
  };
}
