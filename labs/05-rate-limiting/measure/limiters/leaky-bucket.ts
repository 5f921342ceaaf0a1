// Leaky bucket as a queue (shaping): uploads leave at RATE_LIMIT_PER_SECOND, one every
// 1 / rate s; up to RATE_LIMIT_BURST may wait their turn (held, then let through), the rest are
// refused. Redis keeps the time the next slot is free (the "theoretical arrival time" of GCRA).
import type { RequestHandler } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { isGuarded, refusal, type RateLimitDeps } from './common.ts';

export { isGuarded, type RateLimitDeps };

const SCRIPT = `
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local wait = tat - now
if wait >= capacity * interval then
  return -(wait - (capacity - 1) * interval) - 1
end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now))
return wait
`;

export function rateLimit({ redis, config }: RateLimitDeps): RequestHandler {
  const intervalMs = 1000 / config.RATE_LIMIT_PER_SECOND;
  return async (req, res, next) => {
    if (!isGuarded(req)) return next();
    const wait = Number(await redis.eval(SCRIPT, 1, `${config.KEY_PREFIX}rl:lb:${req.ip}`, intervalMs, config.RATE_LIMIT_BURST));
    if (wait < 0) return next(refusal(res, -wait - 1));
    if (wait > 0) await sleep(wait);
    next();
  };
}
