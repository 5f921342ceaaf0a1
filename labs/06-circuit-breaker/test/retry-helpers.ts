// Lab 06's retry tests: jobs published straight into the worker's queue (one original in MinIO
// for all of them), a worker whose optimizer is a stand-in that fails every call, and two
// places to watch from outside the worker's code: a queue of the test's own bound to the retry
// exchange (every retry the worker schedules, with the per-message expiration RabbitMQ will
// enforce and its headers), and the stand-in's record of when each call arrived.
import { createHash, randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { Client } from 'minio';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';

export interface Tapped {
  at: number;
  /** The per-message expiration RabbitMQ enforces, in ms (NaN when absent). */
  expirationMs: number;
  /** The x-attempt header (undefined when absent). */
  attempt: number | undefined;
  requestId: string | undefined;
}

export interface Broker {
  channel: Channel;
  /** Every message the worker published to the retry exchange since tap(). */
  tapped: Tapped[];
  /** Every message RabbitMQ released from a delay queue back towards the job queue since tap(). */
  released: Tapped[];
  close(): Promise<void>;
}

/**
 * Connects to RabbitMQ and binds queues of the test's own to `<queue>.retry` (routing key #:
 * every retry scheduled) and to `<queue>.return` (routing key `<queue>`: every retry released).
 */
export async function tapRetries(stack: StackInfo, queue: string): Promise<Broker> {
  const connection: ChannelModel = await amqp.connect(stack.rabbitmq.url);
  const channel = await connection.createChannel();
  const exchange = `${queue}.retry`;
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue: tap } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(tap, exchange, '#');
  const tapped: Tapped[] = [];
  const released: Tapped[] = [];
  await channel.assertExchange(`${queue}.return`, 'direct', { durable: true });
  const { queue: back } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(back, `${queue}.return`, queue);
  const record = (into: Tapped[]) => (message: ConsumeMessage | null) => {
      if (!message) return;
      const headers = message.properties.headers ?? {};
      const attempt = headers['x-attempt'];
      let requestId: string | undefined;
      try {
        requestId = (JSON.parse(message.content.toString()) as { requestId?: string }).requestId;
      } catch {
        requestId = undefined;
      }
      into.push({
        at: Date.now(),
        expirationMs: Number(message.properties.expiration ?? NaN),
        attempt: attempt === undefined ? undefined : Number(attempt),
        requestId,
      });
    };
  await channel.consume(tap, record(tapped), { noAck: true });
  await channel.consume(back, record(released), { noAck: true });
  return {
    channel,
    tapped,
    released,
    async close() {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

/** Stores one original in the service's bucket and returns its object key. */
export async function storeOriginal(stack: StackInfo, svc: RunningService): Promise<string> {
  const endpoint = new URL(stack.minio.endpoint);
  const client = new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: endpoint.protocol === 'https:',
    accessKey: stack.minio.accessKey,
    secretKey: stack.minio.secretKey,
  });
  if (!(await client.bucketExists(svc.bucket))) await client.makeBucket(svc.bucket).catch(() => {});
  const image = await photoJpeg(64, 48);
  const objectKey = `originals/lab06-${randomBytes(4).toString('hex')}`;
  await client.putObject(svc.bucket, objectKey, image, image.length, { 'Content-Type': 'image/jpeg' });
  return objectKey;
}

/** Publishes `count` jobs for `objectKey` into the worker's queue, with an x-attempt header when given; returns their request ids. */
export async function publishJobs(channel: Channel, queue: string, objectKey: string, count: number, what: string, attempt?: number): Promise<string[]> {
  await channel.assertQueue(queue, { durable: true });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const requestId = `lab06-${what}-${i}-${randomBytes(3).toString('hex')}`;
    const cacheKey = createHash('sha256').update(requestId).digest('hex');
    const job = { objectKey, cacheKey, params: { text: requestId.slice(0, 30), position: 'bottom-right' }, requestId };
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(job)), {
      persistent: true,
      contentType: 'application/json',
      ...(attempt !== undefined && { headers: { 'x-attempt': attempt } }),
    });
    ids.push(requestId);
  }
  return ids;
}

/** Deletes the job queue and the retry exchanges (delay queues delete themselves). */
export async function dropQueues(channel: Channel, queue: string): Promise<void> {
  await channel.deleteQueue(queue).catch(() => {});
  await channel.deleteExchange(`${queue}.retry`).catch(() => {});
  await channel.deleteExchange(`${queue}.return`).catch(() => {});
}

export async function until(check: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return check();
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function coefficientOfVariation(values: number[]): number {
  const m = mean(values);
  const variance = values.reduce((sum, value) => sum + (value - m) ** 2, 0) / values.length;
  return m === 0 ? 0 : Math.sqrt(variance) / m;
}

export interface Workers {
  /** The first worker's service: its queue, bucket and prefix are everyone's. */
  svc: RunningService;
  stopAll(): Promise<void>;
}

/**
 * `count` workers on one queue: each takes one job at a time, so several fail a batch of jobs
 * closer together (and go through a thousand faster) than one could.
 */
export async function startWorkers(tree: string, stack: StackInfo, count: number, env: Record<string, string>): Promise<Workers> {
  const svc = await startService({ tree, stack, processes: ['worker'], env });
  const shared = { QUEUE_PREFIX: svc.env.QUEUE_PREFIX!, KEY_PREFIX: svc.env.KEY_PREFIX!, S3_BUCKET: svc.env.S3_BUCKET! };
  const others = await Promise.all(Array.from({ length: count - 1 }, () => startService({ tree, stack, processes: ['worker'], env: { ...env, ...shared } }))).catch(async (error: unknown) => {
    await svc.stopAll();
    throw error;
  });
  return {
    svc,
    async stopAll() {
      await Promise.all([svc, ...others].map((one) => one.stopAll()));
    },
  };
}
