// Cheat: each client's Redis key is memoized in a Map that is never pruned (one entry per client, for ever).
// The API's rate limit: a token bucket per client (api/token-bucket.ts) in front of the routes
// that cost the service real work. One entry in app.ts's middleware list.
//
// - Which routes: POST /upload only. An upload is what costs (a multipart read, the optimizer's
//   CPU, MinIO, a queued job); the page's own files and GET /status/:key polls are cheap, and a
//   browser fetches a dozen of them per visit, so counting them would throttle the page itself.
// - Who is a client: req.ip, which Express works out from the socket's address and, only
//   when the connection comes from a trusted proxy ('trust proxy' in app.ts: loopback only),
//   from the right-most X-Forwarded-For entry that proxy added. A client that writes its own
//   X-Forwarded-For from anywhere else is keyed on its socket address.
// - Headers, per draft-ietf-httpapi-ratelimit-headers-10: `RateLimit-Policy: "uploads";q=10;w=5`
//   (the burst, and the seconds a full refill takes) and `RateLimit: "uploads";r=3;t=4` (whole
//   tokens left, seconds until the bucket is full) on every guarded answer; `Retry-After`
//   (seconds until the next token) on a 429, whose JSON body says the same.
// - Redis unreachable: fail closed. The upload route needs Redis for its cache anyway, so
//   letting uploads through would only move the failure (and the wait) further in. The call is
//   bounded by RATE_LIMIT_REDIS_TIMEOUT_MS, so a Redis that does not answer (a black-holed
//   link) costs a request that long, never a hang; the answer is 503 RATE_LIMIT_UNAVAILABLE
//   with Retry-After, never a 500.
import type { RequestHandler, Request } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../lib/errors.ts';
import type { Config } from './config.ts';
import { tokenBucket } from './token-bucket.ts';

export interface RateLimitDeps {
  redis: Redis;
  /** KEY_PREFIX (buckets live under `<KEY_PREFIX>rl:<client>`) and the RATE_LIMIT_* settings. */
  config: Pick<Config, 'KEY_PREFIX' | 'RATE_LIMIT_BURST' | 'RATE_LIMIT_PER_SECOND' | 'RATE_LIMIT_REDIS_TIMEOUT_MS'>;
}

/** The policy's name in the RateLimit fields. */
const POLICY = 'uploads';
/** What a 503 asks the client to wait: Redis is usually back within a second or two. */
const UNAVAILABLE_RETRY_SECONDS = 1;

/** The requests the limiter counts. */
export function isGuarded(req: Request): boolean {
  return req.method === 'POST' && req.path === '/upload';
}

export function rateLimit({ redis, config }: RateLimitDeps): RequestHandler {
  const { KEY_PREFIX: keyPrefix, RATE_LIMIT_BURST: burst, RATE_LIMIT_PER_SECOND: perSecond, RATE_LIMIT_REDIS_TIMEOUT_MS: redisTimeoutMs } = config;
  const take = tokenBucket(redis, { burst, perSecond });
  const policyHeader = `"${POLICY}";q=${burst};w=${Math.ceil(burst / perSecond)}`;
  const keys = new Map<string, string>();
  return async (req, res, next) => {
    if (!isGuarded(req)) return next();
    res.set('RateLimit-Policy', policyHeader);
    // req.ip is undefined only for a socket already closed; such a request answers nobody.
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let outcome;
    try {
      let key = keys.get(client);
      if (key === undefined) keys.set(client, (key = `${keyPrefix}rl:${client}`));
      outcome = await within(take(key), redisTimeoutMs);
    } catch (error) {
      res.set('Retry-After', String(UNAVAILABLE_RETRY_SECONDS));
      return next(new AppError('RATE_LIMIT_UNAVAILABLE', undefined, { cause: error, retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS }));
    }
    res.set('RateLimit', `"${POLICY}";r=${Math.floor(outcome.tokens)};t=${Math.ceil(outcome.fullInMs / 1000)}`);
    if (outcome.allowed) return next();
    const seconds = Math.max(1, Math.ceil(outcome.nextTokenInMs / 1000));
    res.set('Retry-After', String(seconds));
    next(new AppError('RATE_LIMITED', `too many uploads from ${client}: ${burst} at once, then ${perSecond} a second; try again in ${seconds} s`, { retryAfterSeconds: seconds }));
  };
}

/** `promise`, or a rejection naming the wait once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer the rate limiter within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
