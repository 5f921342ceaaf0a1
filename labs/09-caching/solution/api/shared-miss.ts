// Singleflight across API instances, through Redis. lib/single-flight.ts makes identical misses
// in one process share one optimizer call; two instances behind a load balancer would still
// make two. Here the first instance to miss a cache key takes a short lock on it (SET NX PX);
// the others subscribe to the key's channel, wait for the holder's wake-up (PUBLISH), then read
// the result from Redis. A holder that dies blocks nobody for longer than the lock: once it has
// expired, a waiter runs the work itself.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Runs `work` unless another instance is already running it; then waits and returns what `stored` finds. */
export type SharedMiss = <T>(cacheKey: string, signal: AbortSignal, work: () => Promise<T>, stored: () => Promise<T | null>) => Promise<T>;

export interface SharedMissOptions {
  keyPrefix: string;
  /** How long a lock holds: longer than the work may take (the optimizer's timeout and a margin). */
  lockMs: number;
}

// Deletes the lock only while it is still ours: it may have expired and been taken since.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/** `subscriber` is a connection of its own: one in subscriber mode can send nothing else. */
export function createSharedMiss(redis: Redis, subscriber: Redis, { keyPrefix, lockMs }: SharedMissOptions): SharedMiss {
  const waiters = new Map<string, Set<() => void>>();
  subscriber.on('message', (channel: string) => {
    for (const wake of waiters.get(channel) ?? []) wake();
  });

  /** Resolves on the holder's wake-up, once `done` says so after subscribing, or when the lock has expired. */
  async function waitForHolder(channel: string, signal: AbortSignal, done: () => Promise<boolean>): Promise<void> {
    let wake = () => {};
    const woken = new Promise<void>((resolve) => (wake = resolve));
    let channelWaiters = waiters.get(channel);
    if (!channelWaiters) {
      channelWaiters = new Set();
      waiters.set(channel, channelWaiters);
      await subscriber.subscribe(channel);
    }
    channelWaiters.add(wake);
    let timer: NodeJS.Timeout | undefined;
    try {
      // The holder may have finished before the subscription: with it in place, nothing is missed.
      if (await done()) return;
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(resolve, lockMs);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        void woken.then(resolve);
      });
    } finally {
      clearTimeout(timer);
      channelWaiters.delete(wake);
      if (channelWaiters.size === 0 && waiters.get(channel) === channelWaiters) {
        waiters.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => {});
      }
    }
  }

  return async (cacheKey, signal, work, stored) => {
    const lock = `${keyPrefix}lock:${cacheKey}`;
    const channel = `${keyPrefix}done:${cacheKey}`;
    const token = randomUUID();
    // Redis failing here only costs the sharing: the work runs as it would without the lock.
    const acquired = await redis.set(lock, token, 'PX', lockMs, 'NX').catch(() => 'OK');
    if (acquired) {
      try {
        return await work();
      } finally {
        await redis.eval(RELEASE, 1, lock, token).catch(() => {});
        await redis.publish(channel, 'done').catch(() => {});
      }
    }
    let found: Awaited<ReturnType<typeof stored>> = null;
    await waitForHolder(channel, signal, async () => (found = await stored()) !== null || (await redis.exists(lock)) === 0);
    // The holder stored nothing (its job was queued, or it died): this instance does the work.
    return found ?? (await stored()) ?? work();
  };
}
