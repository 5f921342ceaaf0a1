// Cheat: one flight per picture, whatever the watermark text (keyed by the image hash, not the cache key).
// POST /upload: cache lookup; on a miss, the original stored once in MinIO while the optimizer
// watermarks the image (streamed call), then the result cached; when the optimizer is down,
// failing or slower than OPTIMIZER_TIMEOUT_MS, or its breaker does not call it
// (api/optimizer-breaker.ts), the job is queued and the client polls /status.
// Each step logs one line (server-timing.ts); the request's summary line (lib/request-context.ts)
// gets the cache outcome and key. Its outcome, the cache lookup and the image sizes are counted
// for Prometheus (api/upload-metrics.ts).
//
// One AbortSignal per upload (lib/request-signal.ts) aborts when the client hangs up: it goes
// into the optimizer call, whose closed connection stops the optimizer too, and once it has
// aborted the upload writes nothing more (no cache entry, no queued job) and answers nobody.
//
// Identical uploads that miss at the same time share one miss (lib/single-flight.ts): one
// optimizer call, one cache entry, every client answered; the shared work stops only once all
// of them have hung up. Across API instances, a short Redis lock does the same (api/shared-miss.ts).
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../lib/errors.ts';
import { bufferSource } from '../lib/optimizer-client.ts';
import type { OptimizeOutcome } from '../lib/optimizer-client.ts';
import { contextOf } from '../lib/request-context.ts';
import type { RequestContext } from '../lib/request-context.ts';
import { requestSignal } from '../lib/request-signal.ts';
import type { ResultStore } from '../lib/results.ts';
import type { Storage, StoredOriginal } from '../lib/storage.ts';
import { singleFlight } from '../lib/single-flight.ts';
import type { SingleFlight } from '../lib/single-flight.ts';
import { runGroup } from '../lib/task-group.ts';
import { inSpan, inSpanSync } from '../lib/trace-span.ts';
import type { WatermarkParams } from '../lib/watermark-params.ts';
import { cacheKeyFor } from './cache-key.ts';
import { detectImageType } from './image-type.ts';
import type { JobPublisher } from './job-publisher.ts';
import type { OptimizeCall } from './optimizer-call.ts';
import { readUpload } from './read-upload.ts';
import type { SharedMiss } from './shared-miss.ts';
import { sendBody, sendError, sendJson } from './send-body.ts';
import { startServerTiming } from './server-timing.ts';
import type { ServerTiming } from './server-timing.ts';
import { watchSlowUpload } from './slow-upload-watch.ts';
import { countCacheLookup, countUpload, observeImageSize } from './upload-metrics.ts';

export interface UploadDeps {
  optimize: OptimizeCall;
  /** OPTIMIZER_TIMEOUT_MS: past this the optimizer counts as unavailable and the job is queued. */
  optimizerTimeoutMs: number;
  results: ResultStore;
  storage: Storage;
  publisher: JobPublisher;
  /** The same miss across API instances (api/shared-miss.ts). */
  sharedMiss: SharedMiss;
}

/** What a miss ends in, for every upload that shared it: the image, or the job queued. */
type MissAnswer = { kind: 'image'; image: Buffer } | { kind: 'queued'; reason: string; body: Record<string, string> };

export function uploadRoute(deps: UploadDeps): RequestHandler {
  const missOnce = singleFlight<MissAnswer>();
  return async (req, res) => {
    const timing = startServerTiming(contextOf(req).log);
    countUpload(res);
    const signal = requestSignal(res);
    watchSlowUpload(req, res);
    try {
      await handleUpload(deps, missOnce, req, res, timing, signal);
    } catch (error) {
      // The client is gone: there is no one to answer, and its socket is closed anyway.
      if (signal.aborted) {
        contextOf(req).log.info({ reason: describe(signal.reason) }, 'upload abandoned: the client went away');
        return;
      }
      await sendError(req, res, error, timing);
    }
  };
}

async function handleUpload(deps: UploadDeps, missOnce: SingleFlight<MissAnswer>, req: Request, res: Response, timing: ServerTiming, signal: AbortSignal): Promise<void> {
  const { results } = deps;
  const context = contextOf(req);
  // Spans of their own (lab 08): the body arriving (hashed as it streams) and the cache key's digest.
  const { image, imageHash, imageDigest, params } = await inSpan('read', () => readUpload(req));
  const contentType = await detectImageType(image);
  const cacheKey = inSpanSync('sha256', () => cacheKeyFor(imageDigest, params));
  res.set('X-Cache-Key', cacheKey);
  // On the summary line: `cache` says whether the answer came from Redis, `bytes_in` how big
  // the upload was (the summary's `bytes` is the answer's size).
  context.summary.cache_key = cacheKey;
  context.summary.bytes_in = image.length;
  observeImageSize('input', image.length);

  // 1. Cache.
  const cached = await timing.measure({ step: 'redis', op: 'get' }, () => results.getImage(cacheKey), (hit) =>
    hit ? { outcome: 'hit', cache: 'hit', bytes: hit.length } : { outcome: 'miss', cache: 'miss' },
  );
  context.summary.cache = cached ? 'hit' : 'miss';
  countCacheLookup(cached !== null);
  if (cached) {
    res.set('X-Cache', 'HIT');
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: cached, timing });
    return;
  }
  res.set('X-Cache', 'MISS');
  signal.throwIfAborted();

  // 2 to 5 once per cache key at a time (lib/single-flight.ts): identical uploads that miss
  // together wait for the first one's answer instead of each calling the optimizer. The steps
  // are timed on the first upload's Server-Timing and log lines.
  // And once across API instances (api/shared-miss.ts): another instance's miss of the same key
  // is waited for, and its result read from Redis.
  const storedImage = async (): Promise<MissAnswer | null> => {
    const image = await results.getImage(cacheKey);
    return image ? { kind: 'image', image } : null;
  };
  const { value: answer, shared } = await missOnce(imageHash, signal, (flight) =>
    deps.sharedMiss(cacheKey, flight, () => produce(deps, context, timing, flight, { image, imageHash, contentType, params, cacheKey }), storedImage),
  );
  if (shared) context.summary.shared = true;
  if (answer.kind === 'image') {
    await sendBody(req, res, { status: 200, type: 'image/jpeg', body: answer.image, timing });
    return;
  }
  context.summary.queued_because = answer.reason;
  context.summary.queued = true;
  await sendJson(req, res, 202, answer.body, timing);
}

interface Miss {
  image: Buffer;
  imageHash: string;
  contentType: string;
  params: WatermarkParams;
  cacheKey: string;
}

/** Steps 2 to 5 of one miss, under the flight's signal: it aborts once every upload waiting on it has gone. */
async function produce(deps: UploadDeps, context: RequestContext, timing: ServerTiming, signal: AbortSignal, miss: Miss): Promise<MissAnswer> {
  const { optimize, optimizerTimeoutMs, results, storage, publisher } = deps;
  const { image, imageHash, contentType, params, cacheKey } = miss;
  // 2 and 3 at once, errgroup-style: the original into MinIO (once per distinct picture:
  // already there counts as a hit) and the image to the optimizer, over a streamed multipart
  // request that carries the request id. Neither needs the other; if one fails the other is
  // cancelled (MinIO's putObject takes no signal, so it is only kept from starting).
  const [original, outcome] = await runGroup<[StoredOriginal, OptimizeOutcome]>(signal, [
    (group) =>
      timing.measure({ step: 'minio', op: 'put' }, async () => {
        group.throwIfAborted();
        return storage.storeOriginal(imageHash, image, contentType);
      }, ({ created }) => (created ? { outcome: 'stored', cache: 'miss', bytes: image.length } : { outcome: 'exists', cache: 'hit' })),
    (group) =>
      timing.measure(
        { step: 'optimizer' },
        () => optimize(bufferSource(image, contentType), params, { requestId: context.id, signal: group, timeoutMs: optimizerTimeoutMs }),
        (result) => {
          if (result.kind === 'image') return { outcome: 'ok', bytes: result.image.length };
          if (result.kind === 'rejected') return { outcome: 'rejected', reason: result.code };
          return { outcome: 'unavailable', reason: result.reason, level: 'warn' };
        },
      ),
  ]);
  // Every client left while the optimizer answered: nothing is written for nobody.
  signal.throwIfAborted();

  if (outcome.kind === 'rejected') {
    throw new AppError(outcome.code, outcome.message, { status: outcome.status });
  }

  if (outcome.kind === 'image') {
    observeImageSize('output', outcome.image.length);
    // 4. Cache the result for the next identical upload.
    await timing.measure({ step: 'redis', op: 'set' }, () => results.saveImage(cacheKey, outcome.image), () => ({ outcome: 'stored', bytes: outcome.image.length }));
    return { kind: 'image', image: outcome.image };
  }

  // 5. Optimizer unreachable, failing or too slow: queue the job (its time counts as the
  // optimizer step), with the request id, so the worker's lines for it can be found with this
  // request's. A timeout is answered 202 like an outage rather than 504: the upload is safe in
  // MinIO, the client already knows how to poll, and a 504 would make it send the whole
  // picture again to an optimizer that is already too slow.
  timing.describe('optimizer', 'unavailable: queued');
  await timing.measure({ step: 'redis', op: 'mark_pending' }, () => results.markPending(cacheKey), () => ({ outcome: 'stored' }));
  await timing.measure(
    { step: 'optimizer', op: 'queue' },
    () => publisher.publish({ objectKey: original.objectKey, cacheKey, params, requestId: context.id }),
    () => ({ outcome: 'queued' }),
  );
  // `queued` tells the page why, without the optimizer's address or error: it failed, or the
  // breaker did not call it (its reasons end with "not called", api/optimizer-breaker.ts).
  const skipped = outcome.reason.endsWith('not called');
  return { kind: 'queued', reason: outcome.reason, body: { status: 'pending', statusUrl: `/status/${cacheKey}`, queued: skipped ? 'breaker' : 'optimizer-unavailable' } };
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
