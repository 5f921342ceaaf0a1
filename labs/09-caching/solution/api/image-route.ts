// GET /image/:key: a finished image, through the API's result cache (api/result-cache.ts),
// with a strong ETag; a client that sends it back in If-None-Match gets 304 and no body.
import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors.ts';
import { isDigest } from '../lib/names.ts';
import type { ResultCache } from './result-cache.ts';
import { sendBody } from './send-body.ts';

// Caches may keep the image but must ask before each reuse: the ETag makes asking cost no body.
const CACHE_CONTROL = 'public, no-cache';

export function imageRoute(results: ResultCache): RequestHandler<{ key: string }> {
  return async (req, res) => {
    const { key } = req.params;
    const found = isDigest(key) ? await results.lookup(key) : null;
    if (!found) throw new AppError('RESULT_NOT_FOUND');
    res.set({ ETag: found.etag, 'Cache-Control': CACHE_CONTROL }).vary('Accept-Encoding');
    // req.fresh compares If-None-Match with the ETag as RFC 9110 says: a list, "*", W/ forms.
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: found.image });
  };
}
