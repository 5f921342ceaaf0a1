// What happens to a job that failed.
// DELIBERATE WEAKNESS (labs 06 and 12 fix it): a fixed sleep, then nack with requeue, forever.
// Every failing job retries on the same beat (a thundering herd when the optimizer comes
// back), a poison message loops for ever, and with prefetch 1 the sleep blocks the consumer.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../lib/logger.ts';
import { settle } from './settle.ts';

export async function retryLater(channel: Channel, message: ConsumeMessage, delayMs: number, log: Logger): Promise<void> {
  await sleep(delayMs);
  settle(() => channel.nack(message, false, true), log);
}
