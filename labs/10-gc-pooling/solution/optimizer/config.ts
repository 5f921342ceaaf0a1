// Optimizer settings, parsed once from the environment at start-up and frozen.
import { availableParallelism } from 'node:os';
import { host, integer, logFields, parseEnv, port, sharedFields } from '../lib/env.ts';

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  return parseEnv(
    {
      OPTIMIZER_HOST: host('127.0.0.1'),
      OPTIMIZER_PORT: port(3001),
      // The loopback-only admin listener: profiles (lab 01), later metrics and health.
      OPTIMIZER_ADMIN_PORT: port(9465),
      // Images processed at once; defaults to one per CPU the process may use.
      OPTIMIZER_CONCURRENCY: integer(availableParallelism(), 1, 'images processed at once'),
      // Images admitted to wait for a worker; past them a request is refused with 503.
      OPTIMIZER_QUEUE_LIMIT: integer(16, 0, 'images waiting for a worker'),
      // The Retry-After of that refusal: about the time a worker takes to free up.
      OPTIMIZER_RETRY_AFTER_S: integer(1, 1, 'seconds'),
      // How long a SIGTERM may take: the images accepted are finished first.
      SHUTDOWN_GRACE_MS: sharedFields.SHUTDOWN_GRACE_MS,
      // LOG_LEVEL and LOG_FORMAT (lib/logger.ts).
      ...logFields,
    },
    source,
  );
}

export type Config = ReturnType<typeof loadConfig>;
