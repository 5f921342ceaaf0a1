// GET /status/:key: the client polls here after a 202 until its image is ready.
// DELIBERATE WEAKNESS (lab 11 replaces it with server-sent events): polling.
import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors.ts';
import { isDigest } from '../lib/names.ts';
import type { ResultStore } from '../lib/results.ts';
import { sendJson } from './send-body.ts';

export function statusRoute(results: ResultStore): RequestHandler<{ key: string }> {
  return async (req, res) => {
    const { key } = req.params;
    const { status } = isDigest(key) ? await results.status(key) : { status: 'unknown' };
    if (status === 'done') return sendJson(req, res, 200, { status, url: `/image/${key}` });
    if (status === 'pending') return sendJson(req, res, 200, { status });
    throw new AppError('RESULT_NOT_FOUND');
  };
}
