// POST /upload: cache lookup, original stored once in MinIO, streamed call to the optimizer,
// result cached; when the optimizer is down the job is queued and the client polls /status.
// Each step logs one line (server-timing.ts); the request's summary line (lib/request-context.ts)
// gets the cache outcome and key.
// TODO (lab 04): an upload whose client hangs up stops, here and in the optimizer, and
// leaves nothing behind it (no cache entry, no job); the optimizer call gives up after
// OPTIMIZER_TIMEOUT_MS. Bonus: MinIO and the optimizer run at the same time, and the first
// to fail cancels the other.
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../lib/errors.ts';
import { bufferSource } from '../lib/optimizer-client.ts';
import { contextOf } from '../lib/request-context.ts';
import type { ResultStore } from '../lib/results.ts';
import type { Storage } from '../lib/storage.ts';
import { cacheKeyFor } from './cache-key.ts';
import { detectImageType } from './image-type.ts';
import { uploadsInFlight } from './in-flight.ts';
import type { JobPublisher } from './job-publisher.ts';
import type { OptimizeCall } from './optimizer-call.ts';
import { readUpload } from './read-upload.ts';
import type { Upload } from './read-upload.ts';
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
    const timing = startServerTiming(contextOf(req).log);
    watchSlowUpload(req, res);
    try {
      await handleUpload(deps, req, res, timing);
    } catch (error) {
      await sendError(req, res, error, timing);
    }
  };
}

async function handleUpload(deps: UploadDeps, req: Request, res: Response, timing: ServerTiming): Promise<void> {
  const upload = await readUpload(req);
  // A real upload from here on, with its body read: counted until it is answered, so that a
  // SIGTERM waits for it (server.ts).
  uploadsInFlight.add();
  try {
    await processUpload(deps, upload, req, res, timing);
  } finally {
    uploadsInFlight.done();
  }
}

async function processUpload({ optimize, results, storage, publisher }: UploadDeps, upload: Upload, req: Request, res: Response, timing: ServerTiming): Promise<void> {
  const context = contextOf(req);
  const { image, imageHash, imageDigest, params } = upload;
  const contentType = await detectImageType(image);
  const cacheKey = cacheKeyFor(imageDigest, params);
  res.set('X-Cache-Key', cacheKey);
  // On the summary line: `cache` says whether the answer came from Redis, `bytes_in` how big
  // the upload was (the summary's `bytes` is the answer's size).
  context.summary.cache_key = cacheKey;
  context.summary.bytes_in = image.length;

  // 1. Cache.
  const cached = await timing.measure({ step: 'redis', op: 'get' }, () => results.getImage(cacheKey), (hit) =>
    hit ? { outcome: 'hit', cache: 'hit', bytes: hit.length } : { outcome: 'miss', cache: 'miss' },
  );
  context.summary.cache = cached ? 'hit' : 'miss';
  if (cached) {
    res.set('X-Cache', 'HIT');
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: cached, timing });
    return;
  }
  res.set('X-Cache', 'MISS');

  // 2. The original, once per distinct picture: already there counts as a hit.
  const original = await timing.measure({ step: 'minio', op: 'put' }, () => storage.storeOriginal(imageHash, image, contentType), ({ created }) =>
    created ? { outcome: 'stored', cache: 'miss', bytes: image.length } : { outcome: 'exists', cache: 'hit' },
  );

  // 3. The optimizer, over a streamed multipart request that carries the request id.
  const outcome = await timing.measure(
    { step: 'optimizer' },
    () => optimize(bufferSource(image, contentType), params, { requestId: context.id }),
    (result) => {
      if (result.kind === 'image') return { outcome: 'ok', bytes: result.image.length };
      if (result.kind === 'rejected') return { outcome: 'rejected', reason: result.code };
      return { outcome: 'unavailable', reason: result.reason, level: 'warn' };
    },
  );

  if (outcome.kind === 'rejected') {
    throw new AppError(outcome.code, outcome.message, { status: outcome.status });
  }

  if (outcome.kind === 'image') {
    // 4. Cache the result for the next identical upload.
    await timing.measure({ step: 'redis', op: 'set' }, () => results.saveImage(cacheKey, outcome.image), () => ({ outcome: 'stored', bytes: outcome.image.length }));
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: outcome.image, timing });
    return;
  }

  // 5. Optimizer unreachable or failing: queue the job (its time counts as the optimizer step),
  // with the request id, so the worker's lines for it can be found with this request's.
  timing.describe('optimizer', 'unavailable: queued');
  await timing.measure({ step: 'redis', op: 'mark_pending' }, () => results.markPending(cacheKey), () => ({ outcome: 'stored' }));
  await timing.measure(
    { step: 'optimizer', op: 'queue' },
    () => publisher.publish({ objectKey: original.objectKey, cacheKey, params, requestId: context.id }),
    () => ({ outcome: 'queued' }),
  );
  context.summary.queued = true;
  await sendJson(req, res, 202, { status: 'pending', statusUrl: `/status/${cacheKey}` }, timing);
}
