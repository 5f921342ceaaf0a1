// What the alternative limiters share with the service's: the guarded route, the headers'
// policy and the 429 through the service's errors. Each file here replaces api/rate-limit.ts in
// a copy of a tree (measure/*.ts does the copying, and points the ../../solution/ import at
// the tree's own file); the service itself has no switch.
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../../solution/lib/errors.ts';

/** The settings of api/config.ts a limiter reads. */
export interface RateLimitDeps {
  redis: Redis;
  config: { KEY_PREFIX: string; RATE_LIMIT_BURST: number; RATE_LIMIT_PER_SECOND: number; RATE_LIMIT_REDIS_TIMEOUT_MS: number };
}

export function isGuarded(req: Request): boolean {
  return req.method === 'POST' && req.path === '/upload';
}

/** The 429 every variant answers, with Retry-After. */
export function refusal(res: Response, waitMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  res.set('Retry-After', String(seconds));
  return new AppError('RATE_LIMITED', undefined, { retryAfterSeconds: seconds });
}
