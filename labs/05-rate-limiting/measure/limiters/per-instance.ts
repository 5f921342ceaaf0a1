// The roadmap's Go limiter in Node: a map from client to its own token bucket
// (golang.org/x/time/rate's Limiter: burst RATE_LIMIT_BURST, RATE_LIMIT_PER_SECOND), in this
// process's memory, never cleaned up. measure/per-instance.ts runs it to show its two faults.
import type { RequestHandler } from 'express';
import { isGuarded, refusal, type RateLimitDeps } from './common.ts';

export { isGuarded, type RateLimitDeps };

export function rateLimit({ config }: RateLimitDeps): RequestHandler {
  const burst = config.RATE_LIMIT_BURST;
  const perMs = config.RATE_LIMIT_PER_SECOND / 1000;
  const limiters = new Map<string, { tokens: number; ts: number }>();
  return (req, res, next) => {
    if (!isGuarded(req)) return next();
    const now = Date.now();
    const client = req.ip ?? 'unknown';
    let limiter = limiters.get(client);
    if (!limiter) limiters.set(client, (limiter = { tokens: burst, ts: now }));
    limiter.tokens = Math.min(burst, limiter.tokens + (now - limiter.ts) * perMs);
    limiter.ts = now;
    if (limiter.tokens < 1) return next(refusal(res, (1 - limiter.tokens) / perMs));
    limiter.tokens -= 1;
    next();
  };
}
