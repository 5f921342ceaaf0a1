// Lab 04's test helpers: uploads over plain node:http (one connection each, closed after the
// answer, optionally holding the body back until the server has taken the request), a slow
// link in front of the optimizer, and probes of the service's state: its log lines, its
// active resources, its Redis keys, its queue, whether a port still accepts connections.
import { request, createServer, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as connectTcp } from 'node:net';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { ProcessName, RunningService } from '../../../shared/harness/service.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request id no other test uses: "lab04-<what>-<random>". */
export function freshRequestId(what: string): string {
  return `lab04-${what}-${Math.random().toString(36).slice(2, 10)}`;
}

// ---------------------------------------------------------------------------------------------
// Uploads

export interface Form {
  body: Buffer;
  contentType: string;
}

/** The multipart body an upload (or an optimizer call) sends: the image and its watermark text. */
export async function imageForm(image: Buffer, wmText: string): Promise<Form> {
  const form = new FormData();
  form.set('wm_text', wmText);
  form.set('image', new Blob([new Uint8Array(image)]), 'photo.jpg');
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

export type PostResult = { status: number; headers: IncomingHttpHeaders; body: Buffer } | { error: string };

export interface PendingPost {
  /** Resolves once the server has parsed the request's headers and asked for the body (100 Continue). */
  continued: Promise<void>;
  /** Sends the body (only needed with `holdBody`). */
  sendBody(): void;
  /** The answer, or the network error that ended the request. */
  result: Promise<PostResult>;
}

/**
 * One POST on its own connection, closed after the answer (nothing stays open to skew a count
 * of sockets). With `holdBody`, the request goes out with `Expect: 100-continue` and its body
 * waits for sendBody(): the server has then received the request but cannot finish it yet, an
 * upload "in flight" for as long as the test likes.
 */
export function post(url: string, form: Form, { holdBody = false, headers = {} }: { holdBody?: boolean; headers?: Record<string, string> } = {}): PendingPost {
  const req: ClientRequest = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': form.contentType,
      'content-length': String(form.body.length),
      connection: 'close',
      ...(holdBody && { expect: '100-continue' }),
      ...headers,
    },
  });
  const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const result = new Promise<PostResult>((resolve) => {
    req.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
  });
  let sent = false;
  const sendBody = () => {
    if (sent) return;
    sent = true;
    req.end(form.body);
  };
  if (holdBody) req.flushHeaders();
  else sendBody();
  return { continued, sendBody, result };
}

/** "200", "202", "ECONNRESET"…: what a post came back with, for a failure message. */
export function outcomeOf(result: PostResult): string {
  return 'error' in result ? result.error : String(result.status);
}

/** Resolves to `promise`'s value, or to `fallback` after `ms`. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// A slow link in front of the optimizer (what a Toxiproxy latency toxic does, for a server
// that runs on this machine rather than in the stack)

export interface LinkCall {
  requestId: string | undefined;
  receivedAt: number;
  /** When the caller hung up before the answer was complete (its timeout, its cancellation). */
  abandonedAt?: number;
  /** When the call was passed on to the optimizer, once the delay was over. */
  forwardedAt?: number;
}

export interface SlowLink {
  url: string;
  /** Where calls go after the delay: an optimizer's base URL. */
  target: string;
  /** How long each call is held before it is passed on; may be changed between calls. */
  delayMs: number;
  calls: LinkCall[];
  close(): Promise<void>;
}

/**
 * An HTTP server that holds every call `delayMs` before passing it on to `target`, then relays
 * the answer. A caller that hangs up is recorded as abandoning its call, and the call is then
 * dropped (not passed on), the way a closed connection ends a real slow exchange.
 */
export async function startSlowLink(delayMs: number, target = ''): Promise<SlowLink> {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    const call: LinkCall = { requestId: req.headers['x-request-id'] as string | undefined, receivedAt: Date.now() };
    link.calls.push(call);
    const chunks: Buffer[] = [];
    let bodyDone = false;
    let delayOver = false;
    let upstream: ClientRequest | undefined;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      bodyDone = true;
      forward();
    });
    const timer = setTimeout(() => {
      delayOver = true;
      forward();
    }, link.delayMs);
    res.once('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) {
        call.abandonedAt ??= Date.now();
        upstream?.destroy();
      }
    });
    function forward() {
      if (!bodyDone || !delayOver || res.destroyed || upstream) return;
      call.forwardedAt = Date.now();
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: new URL(link.target).host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      upstream = request(new URL(req.url ?? '/', link.target), { method: req.method, headers, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.once('error', () => res.destroy());
      upstream.end(body);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  const link: SlowLink = {
    url: `http://127.0.0.1:${port}`,
    target,
    delayMs,
    calls: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return link;
}

// ---------------------------------------------------------------------------------------------
// Probes

export type LogLine = Record<string, unknown> & { time?: string; msg?: string };

/** The JSON lines `name` wrote so far (lab 03 makes every line JSON; anything else is skipped). */
export function logLines(svc: RunningService, name: ProcessName): LogLine[] {
  const output = svc.logs(name);
  const lines: LogLine[] = [];
  for (const text of output.slice(0, output.lastIndexOf('\n') + 1).split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line cut by a crash: not ours to judge here
    }
  }
  return lines;
}

/** When a line was written, in ms since the epoch (lab 03's ISO `time` field). */
export function timeOf(line: LogLine): number {
  const time = Date.parse(String(line.time));
  if (Number.isNaN(time)) expect.fail(`a log line has no ISO "time" field: ${JSON.stringify(line).slice(0, 200)}`);
  return time;
}

/** Polls until `find` returns a value, or returns undefined after `timeoutMs`. */
export async function poll<T>(find: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 10): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await find();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

/** The line of `step` that `name` wrote for `requestId`, waiting for it up to `timeoutMs`. */
export function stepLine(svc: RunningService, name: ProcessName, requestId: string, step: string, timeoutMs: number): Promise<LogLine | undefined> {
  return poll(() => logLines(svc, name).find((line) => line.request_id === requestId && line.step === step), timeoutMs);
}

/** The last lines of a process's output, for a failure message. */
export function tail(svc: RunningService, name: ProcessName, count = 8): string {
  return svc
    .logs(name)
    .trimEnd()
    .split('\n')
    .slice(-count)
    .map((line) => `  ${line.length > 240 ? `${line.slice(0, 240)}…` : line}`)
    .join('\n');
}

export interface ResourceCount {
  total: number;
  byType: Record<string, number>;
  /** Timers and responses in the heap after a full GC, whether or not they keep the loop alive. */
  live: { Timeout: number; ServerResponse: number };
}

/** The process's active resources, from its admin port's /debug/resources. */
export async function activeResources(adminUrl: string): Promise<ResourceCount> {
  const url = `${adminUrl}/debug/resources`;
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) }).catch((error: unknown) => {
    expect.fail(`GET ${url} failed (${error instanceof Error ? error.message : String(error)}): is the admin server running?`);
  });
  const text = await response.text();
  if (response.status !== 200) expect.fail(`GET ${url} answered ${response.status}: ${text.slice(0, 200)}; lib/admin-server.ts serves it from lab 04's starter on`);
  const value = JSON.parse(text) as ResourceCount;
  expect(typeof value.total, `GET ${url}: no numeric "total" in ${text.slice(0, 200)}`).toBe('number');
  expect(typeof value.live?.Timeout, `GET ${url}: no numeric "live.Timeout" in ${text.slice(0, 200)}; lib/active-resources.ts counts it`).toBe('number');
  return value;
}

/** "+300 Timeout, -1 TCPSocketWrap": what changed between two counts. */
export function resourceChanges(before: ResourceCount, after: ResourceCount): string {
  const kinds = new Set([...Object.keys(before.byType), ...Object.keys(after.byType)]);
  const changes = [...kinds]
    .map((kind) => [kind, (after.byType[kind] ?? 0) - (before.byType[kind] ?? 0)] as const)
    .filter(([, delta]) => delta !== 0)
    .sort(([, a], [, b]) => Math.abs(b) - Math.abs(a))
    .map(([kind, delta]) => `${delta > 0 ? '+' : ''}${delta} ${kind}`);
  return changes.join(', ') || 'no change by kind';
}

/** The Redis keys under the service's prefix (cache entries, pending-job markers). */
export async function keysOf(svc: RunningService, redisUrl: string): Promise<string[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${svc.prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

/** Messages ready in the service's retry queue, and the consumers subscribed to it. */
export async function queueDepth(svc: RunningService, amqpUrl: string): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const { messageCount, consumerCount } = await channel.checkQueue(svc.queue);
    return { messageCount, consumerCount };
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Whether a new TCP connection to host:port is accepted, refused, or gets no answer. */
export function tryConnect(host: string, port: number, timeoutMs: number): Promise<'connected' | 'refused' | 'timeout' | string> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : (error.code ?? error.message));
    });
  });
}

/** Polls until host:port refuses new connections; returns what the last attempt got. */
export async function refusedWithin(url: string, timeoutMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  let last = '';
  await poll(async () => {
    last = await tryConnect(hostname, Number(port), 500);
    return last === 'refused' ? last : undefined;
  }, timeoutMs, 25);
  return last;
}
