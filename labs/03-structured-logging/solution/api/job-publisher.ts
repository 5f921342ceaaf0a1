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
}

export async function connectJobPublisher(url: string, queue: string, log: Logger): Promise<JobPublisher> {
  let channel: ConfirmChannel | undefined;
  // Runs again after every reconnect: the old channel died with its connection.
  await connectAmqp(url, async (model) => {
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
  };
}
