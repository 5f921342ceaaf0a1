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
      // The fixed pause before a failed job goes back to the queue.
      RETRY_DELAY_MS: integer(10_000, 0, 'milliseconds'), // 10 s
      // LOG_LEVEL and LOG_FORMAT (lib/logger.ts).
      ...logFields,
    },
    source,
  );
}
