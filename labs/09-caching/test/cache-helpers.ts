// What lab 09's tests read where the API cannot lie: Redis's own MONITOR stream (every command
// any client sends, with its arguments), the API's memory (the harness's preloaded probe), and
// the answers on the wire. The optimizer's received requests come from lab 06's helpers.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { boundedFetch } from '../../../shared/harness/bounded-fetch.ts';
import type { ProbeMemory } from '../../../shared/harness/process-probe.ts';
import { startService, type RunningService, type StartServiceOptions } from '../../../shared/harness/service.ts';
import { redisOf } from '../../05-rate-limiting/test/limit-helpers.ts';

/** A new cache key: 64 hex digits, as the API's are, that nothing ever stored. */
export function unseenKey(): string {
  return randomBytes(32).toString('hex');
}

/** The Redis key the service keeps a finished image under (lib/names.ts's layout). */
export function imageRedisKey(svc: { prefix: string }, cacheKey: string): string {
  return `${svc.prefix}img:${cacheKey}`;
}

export interface RedisWatch {
  /** The commands seen so far whose arguments contain `needle`, as [command, ...args]. */
  commands(needle: string): string[][];
  /** Resolves once every command Redis ran before this call has reached the watch. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Redis's MONITOR: Redis itself reports each command it runs, from any client. The API's
 * commands for a test's keys are found by their arguments (each test's keys are its own).
 * Read from a plain socket: ioredis' monitor() can take the first lines of a busy server for
 * replies to commands it never sent ("Command queue state error").
 */
export async function watchRedis(url: string): Promise<RedisWatch> {
  const { hostname, port } = new URL(url);
  const client = await redisOf(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {}); // a reset at close; the test's own checks say what is missing
  socket.write('MONITOR\r\n');
  const seen: string[][] = [];
  const waiting = new Map<string, () => void>();
  let pending = '';
  let started: () => void = () => {};
  const monitoring = new Promise<void>((resolve) => (started = resolve));
  socket.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\r\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line === '+OK') started();
      // +1796233535.639417 [0 127.0.0.1:41352] "get" "t1:img:…"
      const args = [...line.slice(line.indexOf(']') + 1).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]!);
      if (args.length === 0) continue;
      if (args[0]!.toLowerCase() === 'echo' && waiting.has(args[1]!)) {
        waiting.get(args[1]!)!();
        waiting.delete(args[1]!);
        continue;
      }
      seen.push(args);
    }
  });
  await Promise.race([monitoring, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Redis did not answer MONITOR within 10 s')), 10_000).unref())]);
  return {
    commands: (needle) => seen.filter((args) => args.slice(1).some((arg) => arg.includes(needle))),
    async settle() {
      // Redis runs commands one at a time: once our marker shows, everything before it has.
      const marker = `settle-${unseenKey()}`;
      const arrived = new Promise<void>((resolve) => waiting.set(marker, resolve));
      await client.echo(marker);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('Redis MONITOR did not show our marker command within 10 s')), 10_000)));
      await Promise.race([arrived, late]).finally(() => clearTimeout(timer));
    },
    async close() {
      socket.destroy();
      client.disconnect();
    },
  };
}

export interface Read {
  status: number;
  headers: Headers;
  body: Buffer;
}

// node:http rather than fetch: fetch adds `Cache-Control: no-cache` to a request that carries
// If-None-Match, which asks for a full answer; a browser revalidating its own copy does not.
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const READ_TIMEOUT_MS = 15_000;

/** GET /image/:key with exactly these request headers, bounded. */
export function readImage(svc: RunningService, cacheKey: string, headers: Record<string, string> = {}): Promise<Read> {
  const what = `GET /image/${cacheKey.slice(0, 12)}…`;
  return new Promise((resolve, reject) => {
    const req = request(`${svc.apiUrl}/image/${cacheKey}`, { agent, headers, timeout: READ_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const answered = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) answered.set(name, Array.isArray(value) ? value.join(', ') : value);
        resolve({ status: res.statusCode ?? 0, headers: answered, body: Buffer.concat(chunks) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${what} (${svc.apiUrl}) was silent for ${READ_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** `count` reads run by `workers` at a time; the answers in order. */
export async function readMany(svc: RunningService, keys: string[], workers = 16): Promise<Read[]> {
  const answers: Read[] = new Array(keys.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < keys.length) {
        const i = next++;
        answers[i] = await readImage(svc, keys[i]!);
      }
    }),
  );
  return answers;
}

/** The API's memory after a full GC (the harness's probe). */
export async function apiMemory(svc: RunningService): Promise<ProbeMemory> {
  const response = await boundedFetch("the API's probe", `${svc.probeUrl.api}/memory`, { timeoutMs: 10_000 });
  return (await response.json()) as ProbeMemory;
}

/** Stores `count` images of random bytes under the service's prefix, as a finished result is. */
export async function seedImages(redis: Redis, svc: { prefix: string }, count: number, bytes: number): Promise<Array<{ key: string; image: Buffer }>> {
  const seeded = Array.from({ length: count }, () => ({ key: unseenKey(), image: randomBytes(bytes) }));
  for (let i = 0; i < seeded.length; i += 500) {
    const batch = redis.pipeline();
    for (const { key, image } of seeded.slice(i, i + 500)) batch.set(imageRedisKey(svc, key), image, 'EX', 3_600);
    const replies = await batch.exec();
    expect(replies?.every(([error]) => !error), 'seeding images into Redis').toBe(true);
  }
  return seeded;
}

export const MiB = 1024 * 1024;

export interface Seeded {
  svc: RunningService;
  images: Array<{ key: string; image: Buffer }>;
}

/**
 * Images of random bytes put in Redis under a new key prefix, then the service started on that
 * prefix: they are what an earlier run, or another instance, left in the shared cache.
 */
export async function startSeeded(redis: Redis, seed: { count: number; bytes: number }, options: StartServiceOptions): Promise<Seeded> {
  const prefix = `t09${randomBytes(4).toString('hex')}:`;
  const images = await seedImages(redis, { prefix }, seed.count, seed.bytes);
  const svc = await startService({ ...options, env: { ...options.env, KEY_PREFIX: prefix } });
  return { svc, images };
}

export interface Watched extends Seeded {
  redis: Redis;
  watch: RedisWatch;
  /** Stops the watch, the service and the test's Redis connection. */
  stop(): Promise<void>;
}

/** startSeeded with the test's own Redis connection and a MONITOR watch opened once the service is up. */
export async function startWatched(seed: { count: number; bytes: number }, options: StartServiceOptions): Promise<Watched> {
  const redis = await redisOf(options.stack.redis.url);
  const seeded = await startSeeded(redis, seed, options);
  const watch = await watchRedis(options.stack.redis.url);
  return {
    ...seeded,
    redis,
    watch,
    async stop() {
      await watch.close();
      await seeded.svc.stopAll();
      redis.disconnect();
    },
  };
}
