// POST /upload: cache lookup, original stored once in MinIO, streamed call to the optimizer,
// result cached; when the optimizer is down the job is queued and the client polls /status.
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../lib/errors.ts';
import { bufferSource } from '../lib/optimizer-client.ts';
import type { ResultStore } from '../lib/results.ts';
import type { Storage } from '../lib/storage.ts';
import { cacheKeyFor } from './cache-key.ts';
import { detectImageType } from './image-type.ts';
import type { JobPublisher } from './job-publisher.ts';
import type { OptimizeCall } from './optimizer-call.ts';
import { readUpload } from './read-upload.ts';
import { sendBody, sendError, sendJson } from './send-body.ts';
import { startServerTiming } from './server-timing.ts';
import type { ServerTiming } from './server-timing.ts';
import { watchSlowUpload } from './slow-upload-watch.ts';

export interface UploadDeps {
  optimize: OptimizeCall;
  results: ResultStore;
  storage: Storage;
  publisher: JobPublisher;
}

export function uploadRoute(deps: UploadDeps): RequestHandler {
  return async (req, res) => {
    const timing = startServerTiming();
    watchSlowUpload(res);
    try {
      await handleUpload(deps, req, res, timing);
    } catch (error) {
      await sendError(req, res, error, timing);
    }
    console.log(`POST /upload ${res.statusCode} ${res.get('X-Cache') ?? '-'} ${res.get('X-Cache-Key') ?? '-'}`);
  };
}

async function handleUpload({ optimize, results, storage, publisher }: UploadDeps, req: Request, res: Response, timing: ServerTiming): Promise<void> {
  const { image, imageHash, imageDigest, params } = await readUpload(req);
  const contentType = await detectImageType(image);
  const cacheKey = cacheKeyFor(imageDigest, params);
  res.set('X-Cache-Key', cacheKey);

  // 1. Cache.
  const cached = await timing.measure('redis', () => results.getImage(cacheKey));
  if (cached) {
    timing.describe('redis', 'hit');
    res.set('X-Cache', 'HIT');
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: cached, timing });
    return;
  }
  timing.describe('redis', 'miss');
  res.set('X-Cache', 'MISS');

  // 2. The original, once per distinct picture.
  const original = await timing.measure('minio', () => storage.storeOriginal(imageHash, image, contentType));
  timing.describe('minio', original.created ? 'stored' : 'already stored');

  // 3. The optimizer, over a streamed multipart request.
  const outcome = await timing.measure('optimizer', () => optimize(bufferSource(image, contentType), params));

  if (outcome.kind === 'rejected') {
    timing.describe('optimizer', `rejected: ${outcome.code}`);
    throw new AppError(outcome.code, outcome.message, { status: outcome.status });
  }

  if (outcome.kind === 'image') {
    // 4. Cache the result for the next identical upload.
    timing.describe('optimizer', 'ok');
    await timing.measure('redis', () => results.saveImage(cacheKey, outcome.image));
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: outcome.image, timing });
    return;
  }

  // 5. Optimizer unreachable or failing: queue the job (its time counts as the optimizer step).
  console.log(`optimizer unavailable (${outcome.reason}); queueing ${cacheKey}`);
  timing.describe('optimizer', 'unavailable: queued');
  await timing.measure('redis', () => results.markPending(cacheKey));
  await timing.measure('optimizer', () => publisher.publish({ objectKey: original.objectKey, cacheKey, params }));
  await sendJson(req, res, 202, { status: 'pending', statusUrl: `/status/${cacheKey}` }, timing);
}
