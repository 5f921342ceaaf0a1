// Fixed window: at most RATE_LIMIT_BURST uploads per window of burst / rate seconds (5 s),
// counted with INCR on a key per window; the count starts again at each window's start.
import type { RequestHandler } from 'express';
import { isGuarded, refusal, type RateLimitDeps } from './common.ts';

export { isGuarded, type RateLimitDeps };

export function rateLimit({ redis, config }: RateLimitDeps): RequestHandler {
  const limit = config.RATE_LIMIT_BURST;
  const windowMs = Math.round((limit / config.RATE_LIMIT_PER_SECOND) * 1000);
  return async (req, res, next) => {
    if (!isGuarded(req)) return next();
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const key = `${config.KEY_PREFIX}rl:fw:${req.ip}:${window}`;
    const [[, count]] = (await redis.multi().incr(key).pexpire(key, windowMs).exec()) as [[null, number], unknown];
    if (count > limit) return next(refusal(res, (window + 1) * windowMs - now));
    next();
  };
}
