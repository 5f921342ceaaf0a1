// The message a queued upload leaves for the worker: where the original is, which
// watermark to apply, and under which cache key to store the result.
import { z } from 'zod';
import { positions } from './watermark-params.ts';
import type { WatermarkParams } from './watermark-params.ts';

export interface Job {
  objectKey: string;
  cacheKey: string;
  params: WatermarkParams;
}

const jobSchema = z.object({
  objectKey: z.string().min(1),
  cacheKey: z.string().regex(/^[0-9a-f]{64}$/),
  params: z.object({ text: z.string().min(1), position: z.enum(positions) }),
});

export function encodeJob(job: Job): Buffer {
  return Buffer.from(JSON.stringify(job));
}

/** Parses a message body; throws on anything that is not a job. */
export function decodeJob(content: Buffer): Job {
  return jobSchema.parse(JSON.parse(content.toString('utf8')));
}
