// Lab 05's test helpers: uploads over plain node:http (from a chosen source address, with or
// without X-Forwarded-For), the RateLimit fields read back, and the limiter's state read from
// Redis itself: its keys under `<KEY_PREFIX>rl:`, their TTLs and Redis's own clock.
import { networkInterfaces } from 'node:os';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { RunningService } from '../../../shared/harness/service.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The multipart body of one upload: `image` and its watermark text. */
export async function uploadForm(image: Buffer, wmText: string): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.set('wm_text', wmText);
  form.set('image', new Blob([new Uint8Array(image)]), 'tiny.png');
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request was written and when its answer had arrived (sendAtOnce). */
  sentAt?: number;
  at?: number;
}

export interface SendOptions {
  /** The X-Forwarded-For header, as a client or a proxy would write it. */
  forwardedFor?: string;
  /** The source address of the connection (default: the kernel's choice, 127.0.0.1). */
  localAddress?: string;
  timeoutMs?: number;
}

/** One POST /upload on its own connection; rejects with what hung after `timeoutMs`. */
export function send(svc: RunningService, form: { body: Buffer; contentType: string }, { forwardedFor, localAddress, timeoutMs = 15_000 }: SendOptions = {}): Promise<Answer> {
  const url = new URL('/upload', svc.apiUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      localAddress,
      headers: {
        'content-type': form.contentType,
        'content-length': String(form.body.length),
        connection: 'close',
        ...(forwardedFor !== undefined && { 'x-forwarded-for': forwardedFor }),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`POST ${url} (from ${localAddress ?? 'loopback'}${forwardedFor ? `, X-Forwarded-For ${forwardedFor}` : ''}) gave no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
      });
    });
    req.end(form.body);
  });
}

/** "200 ×10, 429 ×5": the statuses of a batch, for a failure message. */
export function statusCounts(answers: Answer[]): string {
  const counts = new Map<number, number>();
  for (const { status } of answers) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status} ×${n}`).join(', ') || 'no answer';
}

/** Answers the limiter let through: anything but 429 (and never a 5xx, which fails the test). */
export function passed(answers: Answer[]): number {
  const broken = answers.filter(({ status }) => status >= 500);
  if (broken.length > 0) expect.fail(`${broken.length} upload(s) failed with ${statusCounts(broken)}: ${broken[0]!.body.slice(0, 200)}`);
  return answers.filter(({ status }) => status !== 429).length;
}

/** A parameter of a structured field such as `"uploads";r=3;t=4`, or undefined. */
export function fieldParam(value: string | string[] | undefined, name: string): number | undefined {
  const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
  const match = new RegExp(`;\\s*${name}=(\\d+)`).exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Checks the 429 a rejected upload got: Retry-After, the RateLimit fields and the JSON body saying when to come back. */
export function expectRejection(answer: Answer, maxWaitSeconds: number): void {
  expect(answer.status, `the upload past the budget: ${answer.body.slice(0, 200)}`).toBe(429);
  const retryAfter = Number(answer.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxWaitSeconds, `Retry-After on the 429 must be whole seconds, 1–${maxWaitSeconds} (got ${JSON.stringify(answer.headers['retry-after'])})`).toBe(true);
  expect(fieldParam(answer.headers['ratelimit'], 'r'), `the 429's RateLimit field (draft-ietf-httpapi-ratelimit-headers: "<policy>";r=<left>;t=<seconds>) must say r=0 (got ${JSON.stringify(answer.headers['ratelimit'])})`).toBe(0);
  let body: { error?: { code?: unknown; retryAfterSeconds?: unknown } } = {};
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch {
    expect.fail(`the 429's body is not JSON: ${answer.body.slice(0, 200)}`);
  }
  expect(body.error?.code, 'the 429 body\'s error.code').toBe('RATE_LIMITED');
  expect(body.error?.retryAfterSeconds, 'the 429 body\'s error.retryAfterSeconds (when to come back) must equal Retry-After').toBe(retryAfter);
}

// ---------------------------------------------------------------------------------------------
// Redis's view

/** A connection of the test's own to the stack's Redis; every call bounded. */
export async function redisOf(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 10_000 });
  await redis.connect();
  return redis;
}

/** The rate limiter's keys for this service (`<KEY_PREFIX>rl:*`), by SCAN. */
export async function limiterKeys(redis: Redis, svc: { prefix: string }): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${svc.prefix}rl:*`, 'COUNT', 5000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** PTTL of each key, pipelined: -1 is a key with no expiry, -2 one already gone. */
export async function ttlsOf(redis: Redis, keys: string[]): Promise<number[]> {
  const ttls: number[] = [];
  for (let i = 0; i < keys.length; i += 5000) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 5000)) pipeline.pttl(key);
    const results = (await pipeline.exec()) ?? [];
    for (const [error, ttl] of results) ttls.push(error ? Number.NaN : Number(ttl));
  }
  return ttls;
}

/** Redis's own clock, in ms: the buckets refill on it, whatever this machine's timers do. */
export async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Waits until Redis's clock has passed `targetMs`. */
export async function untilRedisTime(redis: Redis, targetMs: number): Promise<void> {
  for (let now = await redisNowMs(redis); now < targetMs; now = await redisNowMs(redis)) await sleep(Math.min(50, targetMs - now));
}

/** A non-loopback IPv4 address of this machine (eth0's), or undefined when it has none. */
export function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Many clients, cheaply

export interface Flood {
  /** Answers by status. */
  statuses: Map<number, number>;
  ms: number;
}

/**
 * `count` bodyless POST /upload requests, each with its own X-Forwarded-For from `clientOf(i)`,
 * pipelined over `connections` loopback connections (a trusted edge) in batches of `batch`. The
 * limiter counts each one (the upload route then answers 400: no form). Rejects when the whole
 * flood takes longer than `timeoutMs`, naming how far it got.
 */
export function flood(svc: RunningService, count: number, clientOf: (i: number) => string, { connections = 4, batch = 100, timeoutMs = 60_000 } = {}): Promise<Flood> {
  const { hostname, port } = new URL(svc.apiUrl);
  const statuses = new Map<number, number>();
  const startedAt = performance.now();
  let next = 0;
  let answered = 0;
  const sockets: import('node:net').Socket[] = [];
  return new Promise<Flood>((resolve, reject) => {
    const timer = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
      reject(new Error(`${count} requests from distinct clients: only ${answered} answered within ${timeoutMs} ms (${[...statuses].map(([s, n]) => `${s} ×${n}`).join(', ')})`));
    }, timeoutMs);
    let open = connections;
    const finish = () => {
      if (--open > 0) return;
      clearTimeout(timer);
      resolve({ statuses, ms: performance.now() - startedAt });
    };
    for (let c = 0; c < connections; c++) {
      const socket = connectTcp({ host: hostname, port: Number(port) });
      sockets.push(socket);
      let pending = 0;
      let carry = '';
      const writeBatch = () => {
        if (next >= count) {
          socket.end();
          return;
        }
        let text = '';
        for (let k = 0; k < batch && next < count; k++, next++, pending++) {
          text += `POST /upload HTTP/1.1\r\nHost: ${hostname}\r\nX-Forwarded-For: ${clientOf(next)}\r\nContent-Length: 0\r\n\r\n`;
        }
        socket.write(text);
      };
      socket.setEncoding('latin1');
      socket.on('connect', writeBatch);
      socket.on('data', (chunk: string) => {
        const text = carry + chunk;
        const re = /HTTP\/1\.1 (\d{3}) /g;
        let last = 0;
        for (let match = re.exec(text); match; match = re.exec(text)) {
          const status = Number(match[1]);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          answered++;
          pending--;
          last = re.lastIndex;
        }
        carry = text.slice(Math.max(last, text.length - 16));
        if (pending === 0) writeBatch();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        for (const each of sockets) each.destroy();
        reject(new Error(`a flood connection failed after ${answered} answers: ${error.message}`));
      });
      socket.once('close', finish);
    }
  });
}

/** 10.x.y.z for client i: 16 million distinct addresses, none on this machine or anywhere we send to. */
export function clientAddress(i: number, base = 0): string {
  const n = base + i;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * `count` uploads that reach the API at the same moment: every connection is open before the
 * first byte goes out, then each gets its whole request in one write, so the limiter decides
 * them within a few milliseconds even on a busy machine. Each connection closes after its answer.
 */
export async function sendAtOnce(svc: RunningService, count: number, form: { body: Buffer; contentType: string }, { timeoutMs = 20_000 } = {}): Promise<Answer[]> {
  const { hostname, port } = new URL(svc.apiUrl);
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const socket = connectTcp({ host: hostname, port: Number(port) });
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const head = `POST /upload HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: ${form.contentType}\r\nContent-Length: ${form.body.length}\r\nConnection: close\r\n\r\n`;
  const request = Buffer.concat([Buffer.from(head, 'latin1'), form.body]);
  let sentAt = 0;
  const answers = sockets.map(
    (socket) =>
      new Promise<Answer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('error', reject);
        socket.once('close', () => resolve({ ...parseAnswer(Buffer.concat(chunks)), sentAt, at: performance.now() }));
      }),
  );
  sentAt = performance.now();
  for (const socket of sockets) socket.write(request);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
      reject(new Error(`${count} uploads sent at once to ${svc.apiUrl}: not all answered within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.all(answers), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** A whole HTTP/1.1 answer read off a connection that closed after it (no chunked body expected). */
function parseAnswer(raw: Buffer): Answer {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: raw.toString('latin1') };
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: raw.subarray(end + 4).toString() };
}
