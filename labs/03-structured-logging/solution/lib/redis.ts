// One Redis connection per process, opened at start-up so an unreachable server stops the
// process there rather than at the first request.
import { Redis } from 'ioredis';
import { redactUrl } from './logger.ts';
import type { Logger } from './logger.ts';
import { dependencyStep } from './startup.ts';

export async function connectRedis(url: string, log: Logger): Promise<Redis> {
  // lazyConnect makes connect() reject on the first failed attempt instead of retrying quietly.
  const redis = new Redis(url, { lazyConnect: true });
  let connected = false;
  let lastError = '';
  // Without a listener ioredis prints "Unhandled error event"; before the first connection
  // the start-up line reports the failure, afterwards each new error is logged once.
  redis.on('error', (error: Error) => {
    if (connected && error.message !== lastError) log.error({ err: error }, `redis: ${error.message}`);
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  // A Redis URL may carry a password (redis://:secret@host): the failure line must not.
  await dependencyStep(`Redis at ${redactUrl(url)}`, 'start Redis or set REDIS_URL', async () => {
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect(); // stop the background reconnect loop
      // connect() only says "Connection is closed."; the error event said why.
      throw lastError ? new Error(lastError, { cause: error }) : error;
    }
  });
  connected = true;
  return redis;
}
