// Starts the retry worker: config, logger, admin listener, Redis, MinIO, RabbitMQ consumer,
// one readiness line; and stops it gracefully on SIGTERM or SIGINT: no new job, the job in
// hand finished (or, at SHUTDOWN_GRACE_MS, abandoned and requeued), connections closed, exit 0.
import { startAdminServer } from '../lib/admin-server.ts';
import { createLogger } from '../lib/logger.ts';
import { retryQueueName } from '../lib/names.ts';
import { connectRedis } from '../lib/redis.ts';
import { createResultStore } from '../lib/results.ts';
import { exitOnShutdownSignal } from '../lib/shutdown.ts';
import { startOrExit } from '../lib/startup.ts';
import { connectStorage } from '../lib/storage.ts';
import { loadConfig } from './config.ts';
import { consumeJobs } from './job-consumer.ts';
import { retrySettings } from './retry.ts';

await startOrExit('worker', async () => {
  const config = loadConfig();
  const log = createLogger('worker', config);
  const admin = await startAdminServer({ service: 'worker', port: config.WORKER_ADMIN_PORT, portVariable: 'WORKER_ADMIN_PORT', onError: (message, error) => log.error({ err: error }, message) });
  const redis = await connectRedis(config.REDIS_URL, log);
  const storage = await connectStorage({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
  });
  const results = createResultStore(redis, { keyPrefix: config.KEY_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS });
  const queue = retryQueueName(config.QUEUE_PREFIX);
  const consumer = await consumeJobs(
    { optimizerUrl: config.OPTIMIZER_URL, optimizerTimeoutMs: config.OPTIMIZER_TIMEOUT_MS, storage, results },
    { amqpUrl: config.AMQP_URL, queue, retry: retrySettings(config), log },
  );

  exitOnShutdownSignal({ log, graceMs: config.SHUTDOWN_GRACE_MS }, async (deadline) => {
    log.info('consumer stopping: no new job, finishing the one in hand');
    await consumer.stop(deadline);
    await redis.quit();
    storage.close();
    log.info('RabbitMQ, Redis and MinIO connections closed');
    // Finished or back in the queue: nothing is lost either way.
    return true;
  });
  return { log, config, ready: `worker ready, consuming ${queue}; ${admin}` };
});
