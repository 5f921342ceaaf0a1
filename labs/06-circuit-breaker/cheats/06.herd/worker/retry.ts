// Cheat: exponential backoff with ±10 % of jitter around it: the jobs that failed together still come back together.
// What happens to a job that failed: it waits in RabbitMQ (worker/delay-queue.ts) and comes
// back to the queue for another attempt, after an exponential backoff with full jitter
// (AWS Architecture Blog, "Exponential Backoff and Jitter"): attempt n waits a random time
// between 0 and min(cap, base × 2^(n-1)). The ceiling doubles per attempt, so a dependency
// that stays down sees fewer and fewer retries; the draw is uniform from 0, so jobs that
// failed together come back spread over the whole range instead of on one beat.
// The attempt number travels with the job in the `x-attempt` header (absent: the first).
// DELIBERATE WEAKNESS (lab 12 fixes it): a job that can never succeed comes back for ever.
import { randomInt } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { loadConfig } from './config.ts';
import { publishDelayed } from './delay-queue.ts';

export const ATTEMPT_HEADER = 'x-attempt';

/** What the retry policy needs from the worker's configuration. */
export function retrySettings(config: ReturnType<typeof loadConfig>) {
  return { baseMs: config.RETRY_DELAY_MS, capMs: config.RETRY_MAX_DELAY_MS };
}

export type RetrySettings = ReturnType<typeof retrySettings>;

/** The attempt a delivery is: 1 for a job straight from the API. */
export function attemptOf(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[ATTEMPT_HEADER]);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

/** The ceiling of attempt n's wait: base × 2^(n-1), capped (no overflow for a large n). */
export function backoffCeilingMs(attempt: number, { baseMs, capMs }: RetrySettings): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 52));
}

/** Full jitter: uniform over [0, ceiling], whole milliseconds. */
export function fullJitterMs(attempt: number, settings: RetrySettings): number {
  const ceiling = Math.floor(backoffCeilingMs(attempt, settings));
  return ceiling <= 0 ? 0 : randomInt(ceiling + 1);
}

/** Schedules the next attempt of a failed job and returns how long it will wait, in ms. */
export async function scheduleRetry(channel: Channel, queue: string, message: ConsumeMessage, settings: RetrySettings): Promise<number> {
  const attempt = attemptOf(message);
  const exp = backoffCeilingMs(attempt, settings);
  const delayMs = Math.round(exp * (0.9 + Math.random() * 0.2));
  await publishDelayed(channel, queue, message, delayMs, { [ATTEMPT_HEADER]: attempt + 1 });
  return delayMs;
}
