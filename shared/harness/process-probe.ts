// Preloaded into a service process (`node --import`) by startService({ probe: true }): the
// test's view of the process that the service's own code does not produce. It answers, on a
// loopback port the harness chose (NWS_PROBE_PORT):
//   GET /resources  what keeps the event loop alive, by kind (process.getActiveResourcesInfo())
//   GET /heap       Timeout and ServerResponse objects in the heap, after a full GC each
//   GET /memory     the heap's used bytes after a full GC, the memory outside it (Buffers, ArrayBuffers), and the resident set size
//   GET /http-requests  with NWS_PROBE_HTTP_REQUESTS=1, every HTTP request the process's servers received
//   GET /gc         the garbage collections V8 ran since start, by kind, with their pauses (perf_hooks)
//   GET /sharp      with NWS_PROBE_SHARP=1, sharp pipelines run and the most ever running at once
// and at exit it writes to NWS_PROBE_EXIT_FILE the outgoing TCP connections still open then
// (a client the process never closed). Its own listener is unref()ed: it never keeps the
// process alive, and it is not among the resources it counts.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, ServerResponse } from 'node:http';
import { findPackageJSON } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { constants as gcConstants, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { queryObjects } from 'node:v8';

/** GET /resources: its own connection is one of them, the same in every reading. */
export interface ProbeResources {
  total: number;
  byType: Record<string, number>;
}

/** GET /heap: objects still in the heap after a full GC, referenced by the loop or not. */
export interface ProbeHeap {
  Timeout: number;
  ServerResponse: number;
}

/** GET /memory: the heap's used bytes after a full GC (what the process still holds), and the RSS. */
export interface ProbeMemory {
  heapUsed: number;
  /** Memory V8 accounts for outside its heap: every ArrayBuffer's bytes (a Buffer over 4 KiB lives there), and more. */
  external: number;
  /** The part of `external` held by ArrayBuffers and SharedArrayBuffers (a resizable one counts in `external` only). */
  arrayBuffers: number;
  rss: number;
}

/** GET /http-requests: one entry per request a server of the process received, in order. */
export interface ProbeHttpRequest {
  method: string;
  path: string;
  /** Date.now() when the request's headers had arrived. */
  at: number;
}

/** GET /gc: collections since the process started, by kind; pauses in milliseconds, in order. */
export interface ProbeGc {
  minor: number;
  major: number;
  incremental: number;
  weakcb: number;
  pausesMs: Record<'minor' | 'major' | 'incremental' | 'weakcb', number[]>;
}

/** GET /sharp: sharp pipelines (toBuffer calls) since start, running now, and the most at once. */
export interface ProbeSharp {
  started: number;
  running: number;
  maxRunning: number;
}

/** NWS_PROBE_EXIT_FILE: the outgoing connections neither side had closed or ended at exit. */
export interface ProbeExit {
  code: number;
  open: Array<{ host: string; port: number }>;
}

// Taken now, before the service's code runs: it cannot swap what the probe calls.
const activeResources = process.getActiveResourcesInfo.bind(process);
const countObjects = queryObjects;
const memoryUsage = process.memoryUsage.bind(process);
// Node exports no Timeout class: take it from a timer.
const Timeout = (() => {
  const timer = setTimeout(() => {}, 0);
  clearTimeout(timer);
  return timer.constructor as new () => unknown;
})();

function resources(): ProbeResources {
  const byType: Record<string, number> = {};
  const kinds = activeResources();
  for (const kind of kinds) byType[kind] = (byType[kind] ?? 0) + 1;
  return { total: kinds.length, byType };
}

function heap(): ProbeHeap {
  return { Timeout: countObjects(Timeout, { format: 'count' }), ServerResponse: countObjects(ServerResponse, { format: 'count' }) };
}

function memory(): ProbeMemory {
  // queryObjects runs a full GC before it walks the heap: what is left is what is held.
  countObjects(Object, { format: 'count' });
  const { heapUsed, external, arrayBuffers, rss } = memoryUsage();
  return { heapUsed, external, arrayBuffers, rss };
}

// Every request an HTTP server of the process receives, seen by Node's own http module
// before any of the service's handlers; the probe's own requests are left out. Only with
// NWS_PROBE_HTTP_REQUESTS=1 (a test sets it for the one process it counts): the record grows
// with traffic, and a test that measures the heap must not see it.
const httpRequests: ProbeHttpRequest[] = [];
const MAX_HTTP_REQUESTS = 100_000;
let probeServer: unknown;
if (process.env.NWS_PROBE_HTTP_REQUESTS === '1') {
  subscribe('http.server.request.start', (message) => {
    const { request, server } = message as { request: { method?: string; url?: string }; server: unknown };
    if (server === probeServer || httpRequests.length >= MAX_HTTP_REQUESTS) return;
    httpRequests.push({ method: request.method ?? '', path: (request.url ?? '').split('?')[0]!, at: Date.now() });
  });
}

// Every GC, by kind, as V8 reports it to perf_hooks: the service's code cannot hide one.
const gcKinds = new Map([
  [gcConstants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [gcConstants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [gcConstants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [gcConstants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
] as const);
const gcSeen: ProbeGc = { minor: 0, major: 0, incremental: 0, weakcb: 0, pausesMs: { minor: [], major: [], incremental: [], weakcb: [] } };
const MAX_PAUSES = 100_000;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = gcKinds.get((entry as PerformanceEntry & { detail: { kind: number } }).detail.kind as never);
    if (!kind) continue;
    gcSeen[kind]++;
    if (gcSeen.pausesMs[kind].length < MAX_PAUSES) gcSeen.pausesMs[kind].push(entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

// With NWS_PROBE_SHARP=1: every sharp pipeline's output call, counted on sharp's own prototype.
// sharp ships ESM and CommonJS builds, two module instances: the probe patches the ESM one the
// service imports, found from the tree's node_modules as the service's own import finds it.
const sharpSeen: ProbeSharp = { started: 0, running: 0, maxRunning: 0 };
if (process.env.NWS_PROBE_SHARP === '1') {
  const manifest = realpathSync(findPackageJSON('sharp', pathToFileURL(join(process.cwd(), 'probe.js')))!);
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': { import: { default: string } } } };
  const { default: sharp } = (await import(pathToFileURL(join(dirname(manifest), exports['.'].import.default)).href)) as { default: { prototype: { toBuffer: (...args: unknown[]) => unknown } } };
  const toBuffer = sharp.prototype.toBuffer;
  sharp.prototype.toBuffer = function (this: unknown, ...args: unknown[]) {
    if (typeof args[args.length - 1] === 'function') return toBuffer.apply(this, args); // callback form: not used by the service
    sharpSeen.started++;
    sharpSeen.maxRunning = Math.max(sharpSeen.maxRunning, ++sharpSeen.running);
    const done = () => {
      sharpSeen.running--;
    };
    const result = toBuffer.apply(this, args) as Promise<unknown>;
    result.then(done, done);
    return result;
  };
}

const port = Number(process.env.NWS_PROBE_PORT);
if (Number.isInteger(port) && port > 0) {
  const routes = new Map<string, () => unknown>([
    ['/resources', resources],
    ['/heap', heap],
    ['/memory', memory],
    ['/http-requests', () => httpRequests],
    ['/gc', () => gcSeen],
    ['/sharp', () => sharpSeen],
  ]);
  const server = createServer((req, res) => {
    const route = routes.get(req.url ?? '');
    res.writeHead(route ? 200 : 404, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(route ? route() : { error: `no probe route ${req.url}` }));
  });
  probeServer = server;
  server.listen(port, '127.0.0.1');
  server.unref();
}

// Every outgoing TCP connection (Redis, RabbitMQ, MinIO, fetch), as it is created.
const clients = new Set<Socket>();
subscribe('net.client.socket', (message) => {
  const socket = (message as { socket: Socket }).socket;
  clients.add(socket);
  socket.once('close', () => clients.delete(socket));
});

/** "localPort:remotePort" of every TCP connection the kernel has ESTABLISHED (/proc/net/tcp, tcp6). */
function establishedPorts(): Set<string> {
  const ports = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (state !== '01' || !local || !remote) continue;
      ports.add(`${parseInt(local.split(':')[1]!, 16)}:${parseInt(remote.split(':')[1]!, 16)}`);
    }
  }
  return ports;
}

// The server's hang-up after a QUIT can still be on its way when the process exits: the kernel
// takes it in without the event loop, so the exit handler may wait for it, briefly.
const HANG_UP_WAIT_MS = 500;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** The sockets the kernel still has ESTABLISHED after up to `waitMs` (polled, synchronously). */
function stillEstablished(sockets: Socket[], waitMs: number): Socket[] {
  const until = Date.now() + waitMs;
  for (;;) {
    const established = establishedPorts();
    const open = sockets.filter((socket) => established.has(`${socket.localPort}:${socket.remotePort}`));
    if (open.length === 0 || Date.now() >= until) return open;
    Atomics.wait(pause, 0, 0, 20);
  }
}

const exitFile = process.env.NWS_PROBE_EXIT_FILE;
if (exitFile) {
  process.on('exit', (code) => {
    // Closed: destroyed or ended here, or closed by the server (Redis answers QUIT and hangs up
    // at once, often before this process has read the hang-up: the kernel has, CLOSE_WAIT).
    const maybeOpen = [...clients].filter((socket) => !socket.destroyed && !socket.writableEnded && !socket.readableEnded);
    const open = stillEstablished(maybeOpen, HANG_UP_WAIT_MS).map((socket) => ({ host: socket.remoteAddress ?? '', port: socket.remotePort! }));
    writeFileSync(exitFile, JSON.stringify({ code, open } satisfies ProbeExit));
  });
}
