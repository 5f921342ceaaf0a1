// Retry-worker settings, parsed once from the environment at start-up and frozen.
import { integer, logFields, parseEnv, port, sharedFields } from '../lib/env.ts';

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  const { REDIS_URL, AMQP_URL, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, KEY_PREFIX, QUEUE_PREFIX, OPTIMIZER_URL, CACHE_TTL_SECONDS, OPTIMIZER_TIMEOUT_MS, SHUTDOWN_GRACE_MS } = sharedFields;
  return parseEnv(
    {
      OPTIMIZER_URL,
      OPTIMIZER_TIMEOUT_MS,
      SHUTDOWN_GRACE_MS,
      REDIS_URL,
      AMQP_URL,
      S3_ENDPOINT,
      S3_ACCESS_KEY,
      S3_SECRET_KEY,
      S3_BUCKET,
      KEY_PREFIX,
      QUEUE_PREFIX,
      CACHE_TTL_SECONDS,
      // The loopback-only admin listener: profiles (lab 01), later metrics and health.
      WORKER_ADMIN_PORT: port(9466),
      // Backoff with full jitter (worker/retry.ts): attempt n waits a random time between 0 and
      // min(RETRY_MAX_DELAY_MS, RETRY_DELAY_MS × 2^(n-1)).
      RETRY_DELAY_MS: integer(1_000, 0, 'milliseconds'), // 1 s: the base
      RETRY_MAX_DELAY_MS: integer(300_000, 0, 'milliseconds'), // 5 min: the cap
      // LOG_LEVEL and LOG_FORMAT (lib/logger.ts).
      ...logFields,
    },
    source,
  );
}
