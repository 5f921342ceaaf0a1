import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import { Client as MinioClient } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAnswers, startContainers } from '../containers.ts';
import { networkExists, networkNameOf, stackContainers } from '../engine-api.ts';
import { imagesFor } from '../images.ts';
import { guarded } from '../reaper.ts';
import { createProxy, deleteProxy } from '../toxiproxy.ts';
import type { Stack } from '../types.ts';

// This file tests the containers provider itself against a real engine (npm test -- --part
// containers, with podman's Docker API; or a machine with Docker), so it starts its own stack
// whatever the run's shared stack is; it is skipped where no engine answers.
const services = ['redis', 'rabbitmq', 'minio', 'toxiproxy'] as const;
const engineHere = await dockerAnswers();
const run = `nws-containers-test-${process.pid}`;

describe.skipIf(!engineHere)('containers stack', () => {
  let stack: Stack<(typeof services)[number]>;
  const progress: string[] = [];

  beforeAll(async () => {
    stack = await startContainers(services, (line) => progress.push(line));
  }, 120_000);

  afterAll(() => stack?.stop());

  it('reports each server ready with the image it runs and its startup time', () => {
    const images = imagesFor();
    for (const service of services) {
      const image = images[service].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^${service} ready \\(${image}\\) in \\d+ ms$`)));
    }
  });

  it('serves Redis to a client on the host: SET then GET returns the value', async () => {
    const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    try {
      await redis.connect();
      await redis.set(`${run}:key`, 'value');
      expect(await redis.get(`${run}:key`)).toBe('value');
    } finally {
      redis.disconnect();
    }
  });

  it('serves AMQP as guest from the host: a published message is consumed', async () => {
    const connection = await amqpConnect(stack.rabbitmq.url, { timeout: 5_000 });
    try {
      const channel = await connection.createChannel();
      const queue = `${run}.queue`;
      await channel.assertQueue(queue, { exclusive: true });
      channel.sendToQueue(queue, Buffer.from('hello'));
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5_000);
        void channel.consume(queue, (message) => {
          clearTimeout(timer);
          if (message) resolve(message.content.toString());
        });
      });
      expect(received).toBe('hello');
    } finally {
      await connection.close();
    }
  });

  it('serves MinIO with the root credentials: an object put in a bucket is read back', async () => {
    const { hostname, port } = new URL(stack.minio.endpoint);
    const minio = new MinioClient({ endPoint: hostname, port: Number(port), useSSL: false, accessKey: stack.minio.accessKey, secretKey: stack.minio.secretKey });
    const bucket = run.toLowerCase();
    await minio.makeBucket(bucket);
    await minio.putObject(bucket, 'object.txt', Buffer.from('stored'));
    const chunks: Buffer[] = [];
    for await (const chunk of await minio.getObject(bucket, 'object.txt')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('stored');
  });

  it('serves Toxiproxy: a new proxy forwards to Redis by its network alias', async () => {
    const proxy = await createProxy(stack.toxiproxy, `${run}-redis`, 'redis');
    const redis = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    try {
      await redis.connect();
      await redis.set(`${run}:through-proxy`, 'forwarded');
      expect(await redis.get(`${run}:through-proxy`)).toBe('forwarded');
      expect(proxy.port).not.toBe(Number(new URL(stack.redis.url).port));
    } finally {
      redis.disconnect();
      await deleteProxy(stack.toxiproxy, proxy.name);
    }
  });

  it('stop() leaves no container and no network of the stack', async () => {
    const [id] = guarded().stacks.filter((stackId) => stackId.startsWith(`${process.pid}-`));
    expect(id, 'the stack is registered with the reaper').toBeDefined();
    const client = await (await import('testcontainers')).getContainerRuntimeClient();
    const socketPath = (client.container.dockerode as unknown as { modem: { socketPath: string } }).modem.socketPath;
    expect(await stackContainers(socketPath, id)).toHaveLength(4);
    await stack.stop();
    expect(await stackContainers(socketPath, id)).toEqual([]);
    expect(await networkExists(socketPath, networkNameOf(id!))).toBe(false);
    expect(guarded().stacks).not.toContain(id);
  });
});
