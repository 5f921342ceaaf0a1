// Builds the API's Express app from its dependencies; server.ts connects them and listens.
// DELIBERATE WEAKNESSES: no upload size or magic-byte checks, no auth, plain HTTP (labs 11, 13).
import express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { requestContext } from '../lib/request-context.ts';
import type { Storage } from '../lib/storage.ts';
import type { Config } from './config.ts';
import { healthRoutes, type Health } from './health.ts';
import { imageRoute } from './image-route.ts';
import type { JobPublisher } from './job-publisher.ts';
import type { OptimizeCall } from './optimizer-call.ts';
import { rateLimit } from './rate-limit.ts';
import type { ResultCache } from './result-cache.ts';
import { sendError } from './send-body.ts';
import { statusRoute } from './status-route.ts';
import { uploadRoute } from './upload-route.ts';
import type { SharedMiss } from './shared-miss.ts';
import { webPage } from './web-page.ts';

export interface ApiDeps {
  config: Config;
  log: Logger;
  /** Finished images: L1, Bloom filter, Redis (api/result-cache.ts). */
  results: ResultCache;
  storage: Storage;
  publisher: JobPublisher;
  /** Where the rate limiter keeps its buckets, shared by every API instance. */
  redis: Redis;
  /** The optimizer call behind its breaker (api/optimizer-breaker.ts), built by server.ts. */
  optimize: OptimizeCall;
  /** Liveness and readiness (api/health.ts), built by server.ts. */
  health: Health;
  /** One miss per cache key across API instances (api/shared-miss.ts), built by server.ts. */
  sharedMiss: SharedMiss;
}

export function buildApp({ config, log, results, storage, publisher, redis, optimize, health, sharedMiss }: ApiDeps): express.Express {
  const app = express();
  // No ETag from Express, which would hash every body it sends: a route that wants one sets its own.
  app.set('etag', false);
  app.set('x-powered-by', false);
  // req.ip: the socket's address, or X-Forwarded-For's right-most entry when a proxy on this
  // machine (the loopback edge) added it; any other client's X-Forwarded-For is ignored.
  app.set('trust proxy', 'loopback');
  // Probes first: answered before any middleware, so they are neither logged nor rate-limited.
  app.use(healthRoutes(health));
  // What runs before every route, in order: a lab that sees or guards every request adds one entry.
  const middleware: RequestHandler[] = [
    // First: every request gets its id and logger before any route or error handler runs.
    requestContext(log),
    // Uploads per client (api/rate-limit.ts), before any work is done for them.
    rateLimit({ redis, config }),
  ];
  for (const handler of middleware) app.use(handler);

  app.post('/upload', uploadRoute({ optimize, optimizerTimeoutMs: config.OPTIMIZER_TIMEOUT_MS, results, storage, publisher, sharedMiss }));
  app.get('/status/:key', statusRoute(results));
  app.get('/image/:key', imageRoute(results));
  app.use(webPage(config.WEB_DIR));

  app.use((_req, _res, next) => next(new AppError('ROUTE_NOT_FOUND')));
  app.use(errorHandler);
  return app;
}

const errorHandler: ErrorRequestHandler = (error, req, res, _next) => sendError(req, res, error);
