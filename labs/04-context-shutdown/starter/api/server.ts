// Starts the API: config, logger, admin listener, Redis, MinIO, RabbitMQ, listen, one
// readiness line.
// On SIGTERM it stops listening, waits until in-flight.ts counts no upload, and exits 0.
// TODO (lab 04): a shutdown that answers every request in progress when the signal comes,
// stops at SHUTDOWN_GRACE_MS, closes what the process opened, and exits 0 (1 when the
// deadline cut requests short).
import { createServer } from 'node:http';
import { startAdminServer } from '../lib/admin-server.ts';
import { createLogger } from '../lib/logger.ts';
import { retryQueueName } from '../lib/names.ts';
import { connectRedis } from '../lib/redis.ts';
import { createResultStore } from '../lib/results.ts';
import { listen, startOrExit } from '../lib/startup.ts';
import { connectStorage } from '../lib/storage.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { uploadsInFlight } from './in-flight.ts';
import { connectJobPublisher } from './job-publisher.ts';

await startOrExit('api', async () => {
  const config = loadConfig();
  const log = createLogger('api', config);
  const admin = await startAdminServer({ service: 'api', port: config.API_ADMIN_PORT, portVariable: 'API_ADMIN_PORT', onError: (message, error) => log.error({ err: error }, message) });
  const redis = await connectRedis(config.REDIS_URL, log);
  const storage = await connectStorage({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
  });
  const publisher = await connectJobPublisher(config.AMQP_URL, retryQueueName(config.QUEUE_PREFIX), log);
  const results = createResultStore(redis, { keyPrefix: config.KEY_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS });

  const server = createServer(buildApp({ config, log, results, storage, publisher }));
  await listen(server, config.API_HOST, config.API_PORT, 'API_HOST/API_PORT');

  // SIGTERM (docker stop, a Kubernetes rollout): no new connections, let the uploads in
  // progress finish, then exit.
  process.once('SIGTERM', () => {
    log.info({ in_flight: uploadsInFlight.count }, 'SIGTERM: closing the listener, waiting for the uploads in progress');
    server.close();
    void uploadsInFlight.idle().then(() => {
      log.info('no upload in progress; exiting');
      process.exit(0);
    });
  });
  return { log, config, ready: `api ready on http://${config.API_HOST}:${config.API_PORT}; ${admin}` };
});
