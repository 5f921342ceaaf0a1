// Starts the retry worker: config, admin listener, Redis, MinIO, RabbitMQ consumer, one
// readiness line.
// DELIBERATE WEAKNESSES: no graceful shutdown, SIGTERM drops the job in hand and the broker
// redelivers it (lab 04); plain console logs (lab 03).
import { startAdminServer } from '../lib/admin-server.ts';
import { retryQueueName } from '../lib/names.ts';
import { connectRedis } from '../lib/redis.ts';
import { createResultStore } from '../lib/results.ts';
import { startOrExit } from '../lib/startup.ts';
import { connectStorage } from '../lib/storage.ts';
import { loadConfig } from './config.ts';
import { consumeJobs } from './job-consumer.ts';

await startOrExit('worker', async () => {
  const config = loadConfig();
  const admin = await startAdminServer({ service: 'worker', port: config.WORKER_ADMIN_PORT, portVariable: 'WORKER_ADMIN_PORT', onError: (message, error) => console.error(message, error) });
  const redis = await connectRedis(config.REDIS_URL);
  const storage = await connectStorage({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
  });
  const results = createResultStore(redis, { keyPrefix: config.KEY_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS });
  const queue = retryQueueName(config.QUEUE_PREFIX);
  await consumeJobs({ optimizerUrl: config.OPTIMIZER_URL, storage, results }, { amqpUrl: config.AMQP_URL, queue, retryDelayMs: config.RETRY_DELAY_MS });
  return `worker ready, consuming ${queue}; ${admin}`;
});
