// Starts the API: config, logger, admin listener, Redis, MinIO, RabbitMQ, listen, one
// readiness line; and stops it gracefully on SIGTERM or SIGINT: the listener closes at once,
// the uploads in progress are answered (until SHUTDOWN_GRACE_MS), then RabbitMQ, Redis and
// MinIO are closed and the process exits 0. The admin listener stays up until the exit, so
// an operator can still look at a drain that takes too long.
import { createServer } from 'node:http';
import { startAdminServer } from '../lib/admin-server.ts';
import { trackRequests } from '../lib/http-drain.ts';
import { createLogger } from '../lib/logger.ts';
import { retryQueueName } from '../lib/names.ts';
import { connectRedis } from '../lib/redis.ts';
import { createResultStore } from '../lib/results.ts';
import { exitOnShutdownSignal } from '../lib/shutdown.ts';
import { listen, startOrExit } from '../lib/startup.ts';
import { connectStorage } from '../lib/storage.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { buildHealth, healthAdminRoutes, type Health } from './health.ts';
import { connectJobPublisher } from './job-publisher.ts';
import { breakerRoute, breakerSettings, guardOptimizer } from './optimizer-breaker.ts';
import { optimizerCall } from './optimizer-call.ts';
import { cacheResults } from './result-cache.ts';
import { createSharedMiss } from './shared-miss.ts';
import { breakerGauge, queueDepthGauge } from './upload-metrics.ts';

await startOrExit('api', async () => {
  const config = loadConfig();
  const log = createLogger('api', config);
  // The optimizer call behind its breaker: the upload route uses it, the admin port shows its state.
  const optimizer = guardOptimizer(optimizerCall(config.OPTIMIZER_URL), breakerSettings(config), log);
  // The admin port serves /ready from the start; it answers 503 until the clients exist.
  let health: Health = buildHealth([{ name: 'startup', check: () => Promise.reject(new Error('still connecting')) }], config.READY_CHECK_TIMEOUT_MS);
  const admin = await startAdminServer({
    service: 'api',
    port: config.API_ADMIN_PORT,
    portVariable: 'API_ADMIN_PORT',
    onError: (message, error) => log.error({ err: error }, message),
    routes: [breakerRoute(optimizer), ...healthAdminRoutes({ ready: () => health.ready(), drain: () => health.drain() })],
  });
  const redis = await connectRedis(config.REDIS_URL, log);
  const storage = await connectStorage({
    endpoint: config.S3_ENDPOINT,
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    bucket: config.S3_BUCKET,
  });
  const publisher = await connectJobPublisher(config.AMQP_URL, retryQueueName(config.QUEUE_PREFIX), log);
  health = buildHealth(
    [
      { name: 'redis', check: () => redis.ping() },
      { name: 'minio', check: () => storage.checkBucket() },
      { name: 'rabbitmq', check: () => publisher.queueDepth() },
    ],
    config.READY_CHECK_TIMEOUT_MS,
  );
  breakerGauge(() => optimizer.report().state);
  queueDepthGauge(retryQueueName(config.QUEUE_PREFIX), () => withTimeout(publisher.queueDepth(), config.READY_CHECK_TIMEOUT_MS));
  // L1 and the Bloom filter in front of Redis (api/result-cache.ts); the filter is filled from Redis here.
  const results = await cacheResults(createResultStore(redis, { keyPrefix: config.KEY_PREFIX, ttlSeconds: config.CACHE_TTL_SECONDS }), config);
  // A second connection: one subscribed to the wake-ups of other instances' misses can send nothing else.
  const subscriber = redis.duplicate();
  subscriber.on('error', (error: Error) => log.warn({ err: error }, `redis (wake-ups): ${error.message}`));
  await subscriber.connect();
  const sharedMiss = createSharedMiss(redis, subscriber, { keyPrefix: config.KEY_PREFIX, lockMs: config.STAMPEDE_LOCK_MS });

  const server = createServer(buildApp({ config, log, results, storage, publisher, redis, optimize: optimizer.optimize, health, sharedMiss }));
  // Before listen: every request is counted from the first one on.
  const requests = trackRequests(server);
  await listen(server, config.API_HOST, config.API_PORT, 'API_HOST/API_PORT');

  exitOnShutdownSignal({ log, graceMs: config.SHUTDOWN_GRACE_MS }, async (deadline) => {
    // Not ready from the first moment of the drain: no new traffic should be sent here.
    health.drain();
    log.info({ in_flight: requests.inFlight }, 'listener closed; answering the requests in progress');
    const cut = await requests.drain(deadline);
    if (cut > 0) log.warn({ cut }, `the deadline cut ${cut} request(s) short`);
    // Nothing uses the clients any more. quit() lets Redis answer what it was sent first.
    await Promise.all([publisher.close(), redis.quit(), subscriber.quit()]);
    storage.close();
    log.info('RabbitMQ, Redis and MinIO connections closed');
    return cut === 0;
  });
  return { log, config, ready: `api ready on http://${config.API_HOST}:${config.API_PORT}; ${admin}` };
});

/** `work`, or a rejection once `ms` have passed: a scrape never waits on a hung RabbitMQ. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
