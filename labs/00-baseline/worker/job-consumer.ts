// Consumes the retry queue one message at a time (prefetch 1): decode, process, ack — or
// hand the message to the retry policy.
import type { Channel, ConsumeMessage } from 'amqplib';
import { assertRetryQueue, connectAmqp } from '../lib/amqp.ts';
import { decodeJob } from '../lib/job.ts';
import { processJob } from './process-job.ts';
import type { JobDeps } from './process-job.ts';
import { retryLater } from './retry.ts';
import { settle } from './settle.ts';

export interface ConsumerOptions {
  amqpUrl: string;
  queue: string;
  retryDelayMs: number;
}

export async function consumeJobs(deps: JobDeps, { amqpUrl, queue, retryDelayMs }: ConsumerOptions): Promise<void> {
  // Runs again after every reconnect: a consumer lives and dies with its channel.
  await connectAmqp(amqpUrl, async (model) => {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => console.error(`amqp: channel error: ${error.message}`));
    await assertRetryQueue(channel, queue);
    await channel.prefetch(1);
    await channel.consume(queue, (message) => {
      // null means the broker cancelled the consumer (queue deleted); recovery re-subscribes.
      if (message) void handleMessage(deps, channel, message, retryDelayMs);
    });
  });
}

async function handleMessage(deps: JobDeps, channel: Channel, message: ConsumeMessage, retryDelayMs: number): Promise<void> {
  const startedAt = performance.now();
  try {
    const job = decodeJob(message.content);
    await processJob(deps, job);
    settle(() => channel.ack(message));
    console.log(`job ${job.cacheKey} done in ${Math.round(performance.now() - startedAt)} ms`);
  } catch (error) {
    console.error(`job failed (${error instanceof Error ? error.message : String(error)}); retrying in ${retryDelayMs} ms`);
    await retryLater(channel, message, retryDelayMs);
  }
}
