// Lab 04's test helpers: uploads over plain node:http (one connection each, closed after the
// answer, or a keep-alive agent's; optionally holding the body back until the server has taken
// the request), a slow link in front of the optimizer, and probes of the service's state from
// outside its code: the harness's preloaded probe (active resources, heap, connections left
// open at exit), /proc (CPU time), Redis keys, the queue's messages, whether a port still
// accepts connections; and its log lines.
import { readFileSync } from 'node:fs';
import { request, createServer, type Agent, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as connectTcp } from 'node:net';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { ProbeExit, ProbeHeap, ProbeResources } from '../../../shared/harness/process-probe.ts';
import type { ProcessName, RunningService } from '../../../shared/harness/service.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';

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

export interface PostOptions {
  /** Send the body only when sendBody() is called (`Expect: 100-continue`). */
  holdBody?: boolean;
  headers?: Record<string, string>;
  /** A keep-alive agent: the connection stays open after the answer, as a browser's does. */
  agent?: Agent;
  /** After this, counted from the call, the request is given up: the result names what hung. */
  timeoutMs?: number;
}

/**
 * One POST on its own connection, closed after the answer (nothing stays open to skew a count
 * of sockets), unless `agent` keeps it alive. With `holdBody`, the request goes out with
 * `Expect: 100-continue` and its body waits for sendBody(): the server has then received the
 * request but cannot finish it yet, an upload "in flight" for as long as the test likes.
 */
export function post(url: string, form: Form, { holdBody = false, headers = {}, agent, timeoutMs = 30_000 }: PostOptions = {}): PendingPost {
  const req: ClientRequest = request(url, {
    method: 'POST',
    agent: agent ?? false,
    headers: {
      'content-type': form.contentType,
      'content-length': String(form.body.length),
      ...(!agent && { connection: 'close' }),
      ...(holdBody && { expect: '100-continue' }),
      ...headers,
    },
  });
  const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const answer = new Promise<PostResult>((resolve) => {
    req.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
  });
  const hung = { error: `no answer to POST ${url} within ${timeoutMs} ms` };
  const result = within(answer, timeoutMs, hung).then((outcome) => {
    if (outcome === hung) req.destroy();
    return outcome;
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

// The probe's calls run a full GC each and queue behind whatever the process is doing: a busy
// machine makes them slow, never wrong.
const probeTimeoutMs = 20_000;

async function probeGet<T>(svc: RunningService, name: ProcessName, path: string): Promise<T> {
  const url = `${svc.probeUrl[name]}${path}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(probeTimeoutMs) }).catch((error: unknown) => {
    expect.fail(`the harness's probe in the ${name} (GET ${url}) did not answer within ${probeTimeoutMs} ms (${error instanceof Error ? error.message : String(error)}): is the process blocked, or was it started without { probe: true }?`);
  });
  const text = await response.text();
  if (response.status !== 200) expect.fail(`GET ${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** What keeps the process's event loop alive, by kind, as the harness's probe counts it. */
export function probeResources(svc: RunningService, name: ProcessName): Promise<ProbeResources> {
  return probeGet(svc, name, '/resources');
}

/** Timers and responses in the process's heap after a full GC, whether or not they keep the loop alive. */
export function probeHeap(svc: RunningService, name: ProcessName): Promise<ProbeHeap> {
  return probeGet(svc, name, '/heap');
}

/** "+300 Timeout, -1 TCPSocketWrap": what changed between two counts. */
export function resourceChanges(before: ProbeResources, after: ProbeResources): string {
  const kinds = new Set([...Object.keys(before.byType), ...Object.keys(after.byType)]);
  const changes = [...kinds]
    .map((kind) => [kind, (after.byType[kind] ?? 0) - (before.byType[kind] ?? 0)] as const)
    .filter(([, delta]) => delta !== 0)
    .sort(([, a], [, b]) => Math.abs(b) - Math.abs(a))
    .map(([kind, delta]) => `${delta > 0 ? '+' : ''}${delta} ${kind}`);
  return changes.join(', ') || 'no change by kind';
}

/**
 * The probe's report of the process's last exit: fails when there is none (killed, or exited
 * before the probe could write), and names the Redis and RabbitMQ connections still open then.
 */
export function clientsLeftOpen(svc: RunningService, name: ProcessName, stack: StackInfo<'redis' | 'rabbitmq'>): { exit: ProbeExit; open: string[] } {
  const exit = svc.probeExit(name);
  if (!exit) expect.fail(`the harness's probe in the ${name} wrote no exit report: the process did not exit on its own (killed by a signal?)`);
  const servers = [
    { what: 'Redis', port: Number(new URL(stack.redis.url).port) },
    { what: 'RabbitMQ', port: Number(new URL(stack.rabbitmq.url).port) },
  ];
  const open = servers.filter(({ port }) => exit.open.some((socket) => socket.port === port)).map(({ what }) => what);
  return { exit, open };
}

/** CPU time (user + system, every thread) the process has used so far, in ms, from /proc. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which sits in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10; // USER_HZ is 100 on Linux
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

const amqpTimeoutMs = 10_000;

/** Runs `work` on a fresh channel, bounded; the connection is closed afterwards. */
async function withChannel<T>(amqpUrl: string, what: string, work: (channel: amqp.Channel) => Promise<T>): Promise<T> {
  const hung = Symbol('hung');
  const connection = await amqp.connect(amqpUrl, { timeout: amqpTimeoutMs });
  try {
    const outcome = await within(
      connection.createChannel().then(work),
      amqpTimeoutMs,
      hung,
    );
    if (outcome === hung) expect.fail(`RabbitMQ did not answer within ${amqpTimeoutMs} ms (${what})`);
    return outcome;
  } finally {
    await connection.close().catch(() => {});
  }
}

/** Messages ready in the service's retry queue, and the consumers subscribed to it. */
export function queueDepth(svc: RunningService, amqpUrl: string): Promise<{ messageCount: number; consumerCount: number }> {
  return withChannel(amqpUrl, `checkQueue ${svc.queue}`, async (channel) => {
    const { messageCount, consumerCount } = await channel.checkQueue(svc.queue);
    return { messageCount, consumerCount };
  });
}

/**
 * The jobs waiting in the service's retry queue, read from the broker (never acknowledged: the
 * connection closes and the broker puts them back). An undeclared queue holds none.
 */
export async function queuedJobs(svc: RunningService, amqpUrl: string): Promise<Array<{ cacheKey?: string; requestId?: string }>> {
  return withChannel(amqpUrl, `reading ${svc.queue}`, async (channel) => {
    const exists = await channel.checkQueue(svc.queue).then(
      () => true,
      () => false,
    );
    if (!exists) return [];
    const jobs: Array<{ cacheKey?: string; requestId?: string }> = [];
    for (let message = await channel.get(svc.queue); message; message = await channel.get(svc.queue)) {
      jobs.push(JSON.parse(message.content.toString()) as { cacheKey?: string; requestId?: string });
    }
    return jobs;
  });
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
