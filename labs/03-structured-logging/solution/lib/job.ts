// The message a queued upload leaves for the worker: where the original is, which
// watermark to apply, under which cache key to store the result, and the upload's request id
// so the worker's log lines for the job can be found with the upload's.
import { z } from 'zod';
import { requestIdPattern } from './request-context.ts';
import { positions } from './watermark-params.ts';
import type { WatermarkParams } from './watermark-params.ts';

export interface Job {
  objectKey: string;
  cacheKey: string;
  params: WatermarkParams;
  /** Optional: messages queued before lab 03 have none, and must still be processed. */
  requestId?: string;
}

const jobSchema = z.object({
  objectKey: z.string().min(1),
  cacheKey: z.string().regex(/^[0-9a-f]{64}$/),
  params: z.object({ text: z.string().min(1), position: z.enum(positions) }),
  // A malformed id is dropped, not fatal: a log field is no reason to retry a job forever.
  requestId: z.string().regex(requestIdPattern).optional().catch(undefined),
});

export function encodeJob(job: Job): Buffer {
  return Buffer.from(JSON.stringify(job));
}

/** Parses a message body; throws on anything that is not a job. */
export function decodeJob(content: Buffer): Job {
  return jobSchema.parse(JSON.parse(content.toString('utf8')));
}
