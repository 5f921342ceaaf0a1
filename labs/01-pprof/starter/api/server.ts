// Starts the API: config, admin listener, Redis, MinIO, RabbitMQ, listen, one readiness line.
// DELIBERATE WEAKNESSES: no graceful shutdown, SIGTERM cuts in-flight uploads (lab 04);
// plain console logs (lab 03).
import { createServer } from 'node:http';
import { startAdminServer } from '../lib/admin-server.ts';
import { retryQueueName } from '../lib/names.ts';
import { connectRedis } from '../lib/redis.ts';
import { createResultStore } from '../lib/results.ts';
import { listen, startOrExit } from '../lib/startup.ts';
import { connectStorage } from '../lib/storage.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { connectJobPublisher } from './job-publisher.ts';

await startOrExit('api', async () => {
  const config = loadConfig();
  const admin = await startAdminServer({ service: 'api', port: config.API_ADMIN_PORT, portVariable: 'API_ADMIN_PORT', onError: (message, error) => console.error(message, error) });
  const redis = await connectRedis(config.REDIS_URL);
  const storage = await connectStorage({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
  });
  const publisher = await connectJobPublisher(config.AMQP_URL, retryQueueName(config.QUEUE_PREFIX));
  const results = createResultStore(redis, { keyPrefix: config.KEY_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS });

  const server = createServer(buildApp({ config, results, storage, publisher }));
  await listen(server, config.API_HOST, config.API_PORT, 'API_HOST/API_PORT');
  return `api ready on http://${config.API_HOST}:${config.API_PORT}; ${admin}`;
});
