// Consumes the retry queue one job at a time (prefetch 1): the broker's deliveries become an
// async iterator (events.on), and one for await loop decodes, processes and acks each job in
// turn, or hands it to the retry policy. Every line about a job carries its cache key and,
// when the upload sent one along, its request id.
//
// A failed job is not retried here: it is handed to the retry policy (worker/retry.ts), which
// sends it to wait in RabbitMQ, and the worker takes the next job at once.
//
// consumeJobs hands back a way to stop, in the order a clean stop needs (Go: a done channel or
// a context for the worker goroutine, close() on the channel it ranges over, a WaitGroup):
// 1. cancel the subscription, so the broker keeps the queue's other jobs for another worker;
// 2. end the iterator (emit 'end'), so the loop finishes after the job in hand;
// 3. wait for the loop; at the deadline the job in hand is abandoned and put back in the queue;
// 4. close the connection.
import { EventEmitter, on } from 'node:events';
import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import { assertRetryQueue, connectAmqp } from '../lib/amqp.ts';
import { decodeJob } from '../lib/job.ts';
import type { Logger } from '../lib/logger.ts';
import { aborted } from '../lib/shutdown.ts';
import { elapsedMs } from '../lib/step-log.ts';
import { processJob } from './process-job.ts';
import type { JobDeps } from './process-job.ts';
import { scheduleRetry } from './retry.ts';
import type { RetrySettings } from './retry.ts';
import { settle } from './settle.ts';

export interface ConsumerOptions {
  amqpUrl: string;
  queue: string;
  /** How failed jobs are retried (worker/retry.ts). */
  retry: RetrySettings;
  log: Logger;
}

export interface JobConsumer {
  /**
   * Takes no new job, lets the job in hand finish until `deadline` (then abandons it and
   * requeues it), and closes the connection. Resolves once all of that is done.
   */
  stop(deadline: AbortSignal): Promise<void>;
}

/** One message from the broker, with the channel it must be acknowledged on. */
interface Delivery {
  channel: Channel;
  message: ConsumeMessage;
  /**
   * The trace context the delivery arrived in (lab 08): the amqplib instrumentation reads the
   * message's traceparent and runs this callback inside its consumer span, but the job is
   * handled later, by the for await loop, where that context is gone. It travels with the delivery.
   */
  trace: Context;
}

/** Where a failed job's next attempt goes, and when. */
interface RetryTarget {
  queue: string;
  retry: RetrySettings;
}

/** What a job in progress must watch. */
export interface JobSignals {
  /** Aborts when the worker starts stopping: no new attempt. */
  stopping: AbortSignal;
  /** Aborts at the shutdown deadline: the job in hand gives up and goes back to the queue. */
  abandon: AbortSignal;
}

export async function consumeJobs(deps: JobDeps, { amqpUrl, queue, retry, log }: ConsumerOptions): Promise<JobConsumer> {
  const deliveries = new EventEmitter();
  // Listening before subscribing: events.on queues what arrives before the loop asks for it,
  // whereas a delivery emitted with no listener yet is dropped, and with prefetch 1 the
  // unacknowledged job then blocks this consumer for good (a restart meets a full queue).
  const incoming = on(deliveries, 'delivery', { close: ['end'] }) as AsyncIterableIterator<[Delivery]>;
  const stopping = new AbortController();
  const abandon = new AbortController();
  let subscription: { channel: Channel; consumerTag: string } | undefined;
  // Runs again after every reconnect: a consumer lives and dies with its channel.
  const connection = await connectAmqp(
    amqpUrl,
    async (model) => {
      const channel = await model.createChannel();
      channel.on('error', (error: Error) => log.error({ err: error }, `amqp: channel error: ${error.message}`));
      await assertRetryQueue(channel, queue);
      await channel.prefetch(1);
      // A reconnect during the shutdown must not subscribe again.
      if (stopping.signal.aborted) return;
      const { consumerTag } = await channel.consume(queue, (message) => {
        // null means the broker cancelled the consumer (queue deleted); recovery re-subscribes.
        if (message) deliveries.emit('delivery', { channel, message, trace: context.active() } satisfies Delivery);
      });
      subscription = { channel, consumerTag };
    },
    log,
  );
  // The loop's promise is kept: stop() waits on it, as a WaitGroup would.
  const loop = processDeliveries(deps, incoming, { queue, retry }, log, { stopping: stopping.signal, abandon: abandon.signal });

  return {
    async stop(deadline) {
      stopping.abort();
      const current = subscription;
      if (current) {
        await current.channel.cancel(current.consumerTag).catch((error: unknown) => {
          // A dead channel delivers nothing more either; the broker requeues what it held.
          log.warn({ err: error }, 'amqp: could not cancel the consumer; its channel is already gone');
        });
      }
      // The sender closes the channel: the for await loop ends once the job in hand is done.
      deliveries.emit('end');
      const loopDone = loop.then(() => true);
      if (!(await Promise.race([loopDone, aborted(deadline).then(() => false)]))) {
        log.warn('shutdown deadline: abandoning the job in hand');
        abandon.abort(deadline.reason);
        await loop;
      }
      // The channel first: closing it waits for the broker to confirm, and the broker handles
      // a channel's frames in order, so the last ack is known to have arrived. Closing only the
      // connection could overtake it, and the broker would redeliver a job that is done.
      await current?.channel.close().catch(() => {});
      await connection.close();
    },
  };
}

async function processDeliveries(deps: JobDeps, incoming: AsyncIterableIterator<[Delivery]>, retry: RetryTarget, log: Logger, signals: JobSignals): Promise<void> {
  for await (const [delivery] of incoming) {
    if (signals.stopping.aborted) {
      // Delivered just before the subscription was cancelled: not started, so handed back.
      settle(() => delivery.channel.nack(delivery.message, false, true), log);
      continue;
    }
    await context.with(delivery.trace, () => handleMessage(deps, delivery, retry, log, signals));
  }
}

async function handleMessage(deps: JobDeps, { channel, message }: Delivery, { queue, retry }: RetryTarget, log: Logger, signals: JobSignals): Promise<void> {
  const startedAt = performance.now();
  // Until the message decodes, only the broker's facts are known.
  let jobLog = log.child({ redelivered: message.fields.redelivered });
  try {
    const job = decodeJob(message.content);
    jobLog = jobLog.child({ ...(job.requestId && { request_id: job.requestId }), cache_key: job.cacheKey });
    jobLog.debug({ object_key: job.objectKey }, 'job received');
    await processJob(deps, job, jobLog, signals.abandon);
    settle(() => channel.ack(message), jobLog);
    jobLog.info({ duration_ms: elapsedMs(startedAt) }, 'job completed');
  } catch (error) {
    if (signals.abandon.aborted) {
      // Abandoned at the shutdown deadline: back in the queue at once, for the next worker.
      settle(() => channel.nack(message, false, true), jobLog);
      jobLog.warn({ duration_ms: elapsedMs(startedAt) }, 'job abandoned at the shutdown deadline; requeued');
      return;
    }
    try {
      const delayMs = await scheduleRetry(channel, queue, message, retry);
      settle(() => channel.ack(message), jobLog);
      jobLog.warn({ err: error, duration_ms: elapsedMs(startedAt), retry_in_ms: delayMs }, `job failed; retrying in ${delayMs} ms`);
    } catch (retryError) {
      // The delay queue could not be reached: the job goes back to the queue as it is.
      settle(() => channel.nack(message, false, true), jobLog);
      jobLog.error({ err: retryError, job_error: String(error) }, 'job failed and its retry could not be scheduled; requeued');
    }
  }
}
