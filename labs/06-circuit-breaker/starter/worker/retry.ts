// What happens to a job that failed: it waits in RabbitMQ (worker/delay-queue.ts) and comes
// back to the queue for another attempt. Every failed job waits RETRY_DELAY_MS, whichever
// attempt it was and however many other jobs failed at the same moment.
// DELIBERATE WEAKNESS (lab 12 fixes it): a job that can never succeed comes back for ever.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { loadConfig } from './config.ts';
import { publishDelayed } from './delay-queue.ts';

/** What the retry policy needs from the worker's configuration. */
export function retrySettings(config: ReturnType<typeof loadConfig>) {
  return { delayMs: config.RETRY_DELAY_MS };
}

export type RetrySettings = ReturnType<typeof retrySettings>;

/** Schedules the next attempt of a failed job and returns how long it will wait, in ms. */
export async function scheduleRetry(channel: Channel, queue: string, message: ConsumeMessage, settings: RetrySettings): Promise<number> {
  await publishDelayed(channel, queue, message, settings.delayMs);
  return settings.delayMs;
}
