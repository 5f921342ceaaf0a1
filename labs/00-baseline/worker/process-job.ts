// One queued job: stream the original from MinIO straight into the optimizer request, then
// store the result (which also clears the job's pending marker).
import type { Job } from '../lib/job.ts';
import { requestOptimize } from '../lib/optimizer-client.ts';
import type { ResultStore } from '../lib/results.ts';
import type { Storage } from '../lib/storage.ts';

export interface JobDeps {
  optimizerUrl: string;
  storage: Storage;
  results: ResultStore;
}

/** Resolves once the result is stored; throws when the job should be retried. */
export async function processJob({ optimizerUrl, storage, results }: JobDeps, job: Job): Promise<void> {
  const original = await storage.openOriginal(job.objectKey);
  try {
    const outcome = await requestOptimize(optimizerUrl, { body: original.stream, size: original.size, contentType: original.contentType }, job.params);
    if (outcome.kind === 'unavailable') throw new Error(`optimizer unavailable: ${outcome.reason}`);
    if (outcome.kind === 'rejected') throw new Error(`optimizer rejected the image: ${outcome.code} ${outcome.message}`);
    await results.saveImage(job.cacheKey, outcome.image);
  } finally {
    // When the optimizer was unreachable the object was never read; free its connection.
    original.stream.destroy();
  }
}
