// Finished images and pending-job markers in Redis, shared by the API (cache and status)
// and the worker (which completes queued jobs).
import type { Redis } from 'ioredis';
import { unavailable } from './errors.ts';
import { imageKey, jobKey } from './names.ts';

export type JobStatus = { status: 'done' } | { status: 'pending' } | { status: 'unknown' };

export interface ResultStore {
  getImage(cacheKey: string): Promise<Buffer | null>;
  /** Stores the image for the TTL and clears the key's pending marker in one transaction. */
  saveImage(cacheKey: string, image: Buffer): Promise<void>;
  /** Marks a queued job so /status answers "pending" until the image is stored. */
  markPending(cacheKey: string): Promise<void>;
  status(cacheKey: string): Promise<JobStatus>;
  /** Every cache key with an image or a pending job, read with SCAN (never KEYS: it would block Redis). */
  keys(): AsyncIterable<string>;
}

export function createResultStore(redis: Redis, options: { keyPrefix: string; ttlSeconds: number }): ResultStore {
  const { keyPrefix, ttlSeconds } = options;
  const failed = unavailable('CACHE_UNAVAILABLE');

  return {
    async getImage(cacheKey) {
      return redis.getBuffer(imageKey(keyPrefix, cacheKey)).catch(failed);
    },

    async saveImage(cacheKey, image) {
      const replies = await redis
        .multi()
        .set(imageKey(keyPrefix, cacheKey), image, 'EX', ttlSeconds)
        .del(jobKey(keyPrefix, cacheKey))
        .exec()
        .catch(failed);
      const commandError = replies?.find(([error]) => error)?.[0];
      if (commandError) failed(commandError);
    },

    async markPending(cacheKey) {
      // The marker expires with the image TTL so a job that never completes does not answer
      // "pending" forever.
      await redis.set(jobKey(keyPrefix, cacheKey), String(Date.now()), 'EX', ttlSeconds).catch(failed);
    },

    async status(cacheKey) {
      const [image, job] = await Promise.all([
        redis.exists(imageKey(keyPrefix, cacheKey)),
        redis.exists(jobKey(keyPrefix, cacheKey)),
      ]).catch(failed);
      if (image === 1) return { status: 'done' };
      if (job === 1) return { status: 'pending' };
      return { status: 'unknown' };
    },

    async *keys() {
      for (const prefix of [imageKey(keyPrefix, ''), jobKey(keyPrefix, '')]) {
        for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1_000 }) as AsyncIterable<string[]>) {
          for (const key of batch) yield key.slice(prefix.length);
        }
      }
    },
  };
}
