import { connect as amqpConnect } from 'amqplib';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Client as MinioClient } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBinaries } from '../binaries.ts';
import { startNative } from '../native.ts';
import { guarded } from '../reaper.ts';
import { createProxy, deleteProxy } from '../toxiproxy.ts';
import type { Stack } from '../types.ts';
import { membersOf, waitUntilGone } from './process-table.ts';

// This file tests the native provider itself, so it starts its own stack whatever the
// run's shared stack is; it is skipped where the native servers are not installed.
const services = ['redis', 'rabbitmq', 'minio', 'toxiproxy'] as const;
const nativeMissing = missingBinaries(services).length > 0;
const run = `nws-stack-test-${process.pid}`;

describe.skipIf(nativeMissing)('native stack', () => {
  let stack: Stack<(typeof services)[number]>;
  const progress: string[] = [];

  beforeAll(async () => {
    stack = await startNative(services, (line) => progress.push(line));
  }, 60_000);

  afterAll(() => stack?.stop());

  it('reports each server ready with its address and startup time', () => {
    for (const service of services) expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^${service} ready on 127\\.0\\.0\\.1:\\d+ in \\d+ ms$`)));
  });

  it('serves Redis: SET then GET returns the value', async () => {
    const redis = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.set(`${run}:key`, 'value');
      expect(await redis.get(`${run}:key`)).toBe('value');
    } finally {
      redis.disconnect();
    }
  });

  it('serves AMQP: a published message is consumed', async () => {
    const connection = await amqpConnect(stack.rabbitmq.url, { timeout: 2_000 });
    try {
      const channel = await connection.createChannel();
      const queue = `${run}.queue`;
      await channel.assertQueue(queue, { exclusive: true });
      channel.sendToQueue(queue, Buffer.from('hello'));
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 3 s')), 3_000);
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

  it('serves MinIO: an object put in a bucket is read back', async () => {
    const { hostname, port } = new URL(stack.minio.endpoint);
    const minio = new MinioClient({ endPoint: hostname, port: Number(port), useSSL: false, accessKey: stack.minio.accessKey, secretKey: stack.minio.secretKey });
    const bucket = run.toLowerCase();
    await minio.makeBucket(bucket);
    await minio.putObject(bucket, 'object.txt', Buffer.from('stored'));
    const chunks: Buffer[] = [];
    for await (const chunk of await minio.getObject(bucket, 'object.txt')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('stored');
  });

  it('serves Toxiproxy: a new proxy forwards to Redis', async () => {
    const proxy = await createProxy(stack.toxiproxy, `${run}-redis`, 'redis');
    const redis = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true, maxRetriesPerRequest: 1 });
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

  it('stop() leaves no server process and no temp dir behind', async () => {
    const { groups, dirs } = guarded();
    const members = membersOf(groups);
    // redis, epmd, beam (+ its helpers), minio, toxiproxy at least.
    expect(members.length).toBeGreaterThanOrEqual(5);
    await stack.stop();
    expect(await waitUntilGone(members, 3_000)).toEqual([]);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
    expect(guarded().groups).toEqual([]);
  });
});
