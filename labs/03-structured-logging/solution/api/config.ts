// API settings, parsed once from the environment at start-up and frozen.
import { resolve } from 'node:path';
import { z } from 'zod';
import { host, logFields, parseEnv, port, sharedFields } from '../lib/env.ts';

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  const { REDIS_URL, AMQP_URL, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, KEY_PREFIX, QUEUE_PREFIX, OPTIMIZER_URL, CACHE_TTL_SECONDS } = sharedFields;
  return parseEnv(
    {
      API_HOST: host('127.0.0.1'),
      API_PORT: port(3000),
      // The loopback-only admin listener: profiles (lab 01), later metrics and health.
      API_ADMIN_PORT: port(9464),
      OPTIMIZER_URL,
      REDIS_URL,
      AMQP_URL,
      S3_ENDPOINT,
      S3_ACCESS_KEY,
      S3_SECRET_KEY,
      S3_BUCKET,
      KEY_PREFIX,
      QUEUE_PREFIX,
      CACHE_TTL_SECONDS,
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
