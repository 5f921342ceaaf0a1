// Consumes the retry queue one job at a time (prefetch 1): the broker's deliveries become an
// async iterator (events.on), and one for await loop decodes, processes and acks each job in
// turn, or hands it to the retry policy. Every line about a job carries its cache key and,
// when the upload sent one along, its request id.
// consumeJobs subscribes, starts the loop and resolves once the subscription is made.
// TODO (lab 04): a consumer the worker can stop on SIGTERM: it takes no new job, finishes
// the job in hand or hands it back to the queue by the deadline, and its loop ends.
import { EventEmitter, on } from 'node:events';
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

/** One message from the broker, with the channel it must be acknowledged on. */
interface Delivery {
  channel: Channel;
  message: ConsumeMessage;
}

export async function consumeJobs(deps: JobDeps, { amqpUrl, queue, retryDelayMs, log }: ConsumerOptions): Promise<void> {
  const deliveries = new EventEmitter();
  // Listening before subscribing: a delivery emitted before anyone listens would be dropped.
  const incoming = on(deliveries, 'delivery') as AsyncIterableIterator<[Delivery]>;
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
        if (message) deliveries.emit('delivery', { channel, message } satisfies Delivery);
      });
    },
    log,
  );
  void processDeliveries(deps, incoming, retryDelayMs, log);
}

async function processDeliveries(deps: JobDeps, incoming: AsyncIterableIterator<[Delivery]>, retryDelayMs: number, log: Logger): Promise<void> {
  for await (const [delivery] of incoming) {
    await handleMessage(deps, delivery, retryDelayMs, log);
  }
}

async function handleMessage(deps: JobDeps, { channel, message }: Delivery, retryDelayMs: number, log: Logger): Promise<void> {
  const startedAt = performance.now();
  // Until the message decodes, only the broker's facts are known.
  let jobLog = log.child({ redelivered: message.fields.redelivered });
  try {
    const job = decodeJob(message.content);
    jobLog = jobLog.child({ ...(job.requestId && { request_id: job.requestId }), cache_key: job.cacheKey });
    jobLog.debug({ object_key: job.objectKey }, 'job received');
    await processJob(deps, job, jobLog);
    settle(() => channel.ack(message), jobLog);
    jobLog.info({ duration_ms: elapsedMs(startedAt) }, 'job completed');
  } catch (error) {
    jobLog.warn({ err: error, duration_ms: elapsedMs(startedAt), retry_in_ms: retryDelayMs }, `job failed; retrying in ${retryDelayMs} ms`);
    await retryLater(channel, message, retryDelayMs, jobLog);
  }
}
