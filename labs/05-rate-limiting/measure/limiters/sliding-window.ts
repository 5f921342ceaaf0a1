// Sliding window log: at most RATE_LIMIT_BURST uploads in any burst / rate seconds (5 s): the
// times of the last ones in a sorted set, the old ones trimmed, one Lua script.
import type { RequestHandler } from 'express';
import { isGuarded, refusal, type RateLimitDeps } from './common.ts';

export { isGuarded, type RateLimitDeps };

const SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, clock[1] .. clock[2] .. math.random())
redis.call('PEXPIRE', KEYS[1], window)
return -1
`;

export function rateLimit({ redis, config }: RateLimitDeps): RequestHandler {
  const limit = config.RATE_LIMIT_BURST;
  const windowMs = Math.round((limit / config.RATE_LIMIT_PER_SECOND) * 1000);
  return async (req, res, next) => {
    if (!isGuarded(req)) return next();
    const waitMs = Number(await redis.eval(SCRIPT, 1, `${config.KEY_PREFIX}rl:sw:${req.ip}`, limit, windowMs));
    if (waitMs >= 0) return next(refusal(res, waitMs));
    next();
  };
}
