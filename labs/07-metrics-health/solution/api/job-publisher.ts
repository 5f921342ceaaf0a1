// Publishes retry jobs: persistent messages on a confirm channel, so the 202 answer is sent
// only once the broker has taken responsibility for the job.
import type { ConfirmChannel } from 'amqplib';
import { assertRetryQueue, connectAmqp } from '../lib/amqp.ts';
import { AppError } from '../lib/errors.ts';
import { encodeJob } from '../lib/job.ts';
import type { Job } from '../lib/job.ts';
import type { Logger } from '../lib/logger.ts';

export interface JobPublisher {
  publish(job: Job): Promise<void>;
  /** Jobs ready in the retry queue, asked of RabbitMQ (the readiness check and the queue-depth gauge). */
  queueDepth(): Promise<number>;
  /** Closes the connection (on shutdown, once nothing publishes any more). */
  close(): Promise<void>;
}

export async function connectJobPublisher(url: string, queue: string, log: Logger): Promise<JobPublisher> {
  let channel: ConfirmChannel | undefined;
  // Runs again after every reconnect: the old channel died with its connection.
  const connection = await connectAmqp(url, async (model) => {
    const fresh = await model.createConfirmChannel();
    fresh.on('error', (error: Error) => log.error({ err: error }, `amqp: channel error: ${error.message}`));
    fresh.on('close', () => {
      if (channel === fresh) channel = undefined;
    });
    await assertRetryQueue(fresh, queue);
    channel = fresh;
  }, log);

  return {
    async publish(job) {
      const current = channel;
      if (!current) throw new AppError('QUEUE_UNAVAILABLE');
      try {
        await new Promise<void>((resolve, reject) => {
          current.sendToQueue(queue, encodeJob(job), { persistent: true, contentType: 'application/json' }, (error: unknown) =>
            error ? reject(error) : resolve(),
          );
        });
      } catch (error) {
        throw new AppError('QUEUE_UNAVAILABLE', undefined, { cause: error });
      }
    },
    async queueDepth() {
      const current = channel;
      if (!current) throw new Error('no channel to RabbitMQ (reconnecting)');
      return (await current.checkQueue(queue)).messageCount;
    },
    async close() {
      // Closing the connection waits for the broker to confirm it, so a publish whose confirm
      // already arrived is never undone; recovery stops reconnecting.
      await connection.close();
    },
  };
}
