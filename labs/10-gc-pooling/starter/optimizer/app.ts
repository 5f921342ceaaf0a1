// Builds the optimizer's Express app; server.ts starts it.
import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { AppError, errorBody, toAppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { contextOf, requestContext } from '../lib/request-context.ts';
import type { Config } from './config.ts';
import type { Font } from './font.ts';
import { optimizeRoute } from './optimize-route.ts';
import { createUploadReader } from './receive-upload.ts';
import { createWorkerPool } from './worker-pool.ts';

export function buildApp(config: Config, font: Font, log: Logger): express.Express {
  const app = express();
  // No ETag: hashing every multi-megabyte answer costs CPU for a client that never revalidates.
  app.set('etag', false);
  app.set('x-powered-by', false);
  // First: the request id the API sends (X-Request-Id) goes on every line of this request.
  app.use(requestContext(log));

  const readUpload = createUploadReader(config.OPTIMIZER_CONCURRENCY);
  app.post('/optimize', optimizeRoute({ readUpload, workers: createWorkerPool(config.OPTIMIZER_CONCURRENCY), font }));

  app.use((_req, _res, next) => next(new AppError('ROUTE_NOT_FOUND')));
  app.use(errorHandler);
  return app;
}

const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const appError = toAppError(error);
  const context = contextOf(req);
  context.summary.error_code = appError.code;
  if (appError.status >= 500) context.log.error({ err: error, error_code: appError.code }, `${req.method} ${req.path} failed: ${appError.code}`);
  res.status(appError.status).json(errorBody(appError));
};
