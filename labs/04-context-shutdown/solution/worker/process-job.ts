// One queued job: stream the original from MinIO straight into the optimizer request, then
// store the result (which also clears the job's pending marker). One step line each, with
// the same fields as the API's (lib/step-log.ts). The optimizer call is bounded by
// OPTIMIZER_TIMEOUT_MS and by `signal`, which aborts at the worker's shutdown deadline; an
// image already received is still stored, since that is quicker than doing it again.
import type { Job } from '../lib/job.ts';
import type { Logger } from '../lib/logger.ts';
import { requestOptimize } from '../lib/optimizer-client.ts';
import type { ResultStore } from '../lib/results.ts';
import type { Storage } from '../lib/storage.ts';
import { measureStep } from '../lib/step-log.ts';

export interface JobDeps {
  optimizerUrl: string;
  /** OPTIMIZER_TIMEOUT_MS: a slower optimizer fails the attempt, which is retried later. */
  optimizerTimeoutMs: number;
  storage: Storage;
  results: ResultStore;
}

/** Resolves once the result is stored; throws when the job should be retried. */
export async function processJob({ optimizerUrl, optimizerTimeoutMs, storage, results }: JobDeps, job: Job, log: Logger, signal: AbortSignal): Promise<void> {
  const { value: original } = await measureStep(log, { step: 'minio', op: 'get' }, () => storage.openOriginal(job.objectKey), (opened) => ({
    outcome: 'ok',
    bytes: opened.size,
  }));
  try {
    const { value: outcome } = await measureStep(
      log,
      { step: 'optimizer' },
      () =>
        requestOptimize(optimizerUrl, { body: original.stream, size: original.size, contentType: original.contentType }, job.params, {
          requestId: job.requestId,
          signal,
          timeoutMs: optimizerTimeoutMs,
        }),
      (result) => {
        if (result.kind === 'image') return { outcome: 'ok', bytes: result.image.length };
        if (result.kind === 'rejected') return { outcome: 'rejected', reason: result.code, level: 'warn' };
        return { outcome: 'unavailable', reason: result.reason, level: 'warn' };
      },
    );
    if (outcome.kind === 'unavailable') throw new Error(`optimizer unavailable: ${outcome.reason}`);
    if (outcome.kind === 'rejected') throw new Error(`optimizer rejected the image: ${outcome.code} ${outcome.message}`);
    await measureStep(log, { step: 'redis', op: 'set' }, () => results.saveImage(job.cacheKey, outcome.image), () => ({
      outcome: 'stored',
      bytes: outcome.image.length,
    }));
  } finally {
    // When the optimizer was unreachable the object was never read; free its connection.
    original.stream.destroy();
  }
}
