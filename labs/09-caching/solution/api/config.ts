// API settings, parsed once from the environment at start-up and frozen.
import { resolve } from 'node:path';
import { z } from 'zod';
import { host, integer, logFields, parseEnv, port, sharedFields } from '../lib/env.ts';

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  const { REDIS_URL, AMQP_URL, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, KEY_PREFIX, QUEUE_PREFIX, OPTIMIZER_URL, CACHE_TTL_SECONDS, OPTIMIZER_TIMEOUT_MS, SHUTDOWN_GRACE_MS } = sharedFields;
  return parseEnv(
    {
      API_HOST: host('127.0.0.1'),
      API_PORT: port(3000),
      // The loopback-only admin listener: profiles (lab 01), later metrics and health.
      API_ADMIN_PORT: port(9464),
      OPTIMIZER_URL,
      OPTIMIZER_TIMEOUT_MS,
      // The optimizer's breaker and bulkhead (api/optimizer-breaker.ts).
      BREAKER_FAILURES: integer(5, 1, 'calls'), // failures in a row that open it
      BREAKER_RESET_MS: integer(30_000, 1, 'milliseconds'), // 30 s open, then one probe
      BREAKER_WINDOW_MS: integer(10_000, 100, 'milliseconds'), // 10 s: where failures are counted
      BREAKER_CAPACITY: integer(5, 1, 'calls'), // the bulkhead: calls waiting on the optimizer at once
      SHUTDOWN_GRACE_MS,
      // GET /ready (api/health.ts): how long each dependency's check may take before it counts as
      // failed. Redis, MinIO and RabbitMQ answer in milliseconds on a healthy link; a probe that
      // waits longer than its caller's own timeout (Kubernetes: 1 s) tells it nothing.
      READY_CHECK_TIMEOUT_MS: integer(500, 1, 'milliseconds'), // 0.5 s
      REDIS_URL,
      AMQP_URL,
      S3_ENDPOINT,
      S3_ACCESS_KEY,
      S3_SECRET_KEY,
      S3_BUCKET,
      KEY_PREFIX,
      QUEUE_PREFIX,
      CACHE_TTL_SECONDS,
      // How long an instance's lock on a missed cache key holds (api/shared-miss.ts): longer than
      // the miss may take, so that other instances wait for it rather than repeat it.
      STAMPEDE_LOCK_MS: integer(15_000, 100, 'milliseconds'),
      // The in-process L1 in front of Redis (api/result-cache.ts): the bytes of images it holds,
      // and how long one may be served without asking Redis (what another instance changed
      // stays unseen that long).
      L1_MAX_BYTES: integer(64 * 1024 * 1024, 1, 'bytes'), // 64 MiB
      L1_TTL_MS: integer(30_000, 1, 'milliseconds'), // 30 s
      // The Bloom filter of existing keys (api/bloom-filter.ts): sized for this many keys at this
      // false-positive rate; 1 million keys at 1 % take 1.2 MB.
      BLOOM_EXPECTED_KEYS: integer(1_000_000, 1, 'keys'),
      BLOOM_FALSE_POSITIVE_RATE: z.coerce.number().gt(0).lt(1).default(0.01).describe('a rate between 0 and 1, e.g. 0.01'),
      // The upload rate limit (api/rate-limit.ts), per client: RATE_LIMIT_BURST uploads at once,
      // then RATE_LIMIT_PER_SECOND more each second; a client's bucket is full again
      // RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND seconds after it was emptied (5 s).
      RATE_LIMIT_BURST: integer(10, 1, 'requests'),
      RATE_LIMIT_PER_SECOND: z.coerce.number().positive().finite().default(2).describe('a number of requests per second > 0'),
      // How long the limiter waits for Redis before it answers 503 (it fails closed). Redis
      // answers in well under a millisecond; the margin is for an event loop busy with a flood.
      RATE_LIMIT_REDIS_TIMEOUT_MS: integer(1_000, 1, 'milliseconds'), // 1 s
      // The built web page; relative paths are taken from the working directory. The default
      // follows this tree wherever it is copied (labs/…, workspace/).
      WEB_DIR: z
        .string()
        .min(1)
        .default(resolve(import.meta.dirname, '..', 'web', 'dist'))
        .transform((dir) => resolve(dir))
        .describe('a folder path'),
      // LOG_LEVEL and LOG_FORMAT (lib/logger.ts).
      ...logFields,
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
