// Lab 06's test helpers: the service started with its API→optimizer link through a Toxiproxy
// proxy (toxics added and removed through Toxiproxy's HTTP API), and what the tests read from
// outside the service's code: the API's TCP connections to the proxy in the kernel's socket
// table (connection-sampler.ts), the HTTP requests the optimizer received (counted
// by the probe the harness preloads into it), RabbitMQ's queues, and a stand-in optimizer
// that records when each call arrives.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { expect } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { boundedFetch } from '../../../shared/harness/bounded-fetch.ts';
import { freePort } from '../../../shared/harness/ports.ts';
import type { ProbeHttpRequest } from '../../../shared/harness/process-probe.ts';
import { startService, type RunningService, type StartServiceOptions } from '../../../shared/harness/service.ts';
import { serverTiming, upload, type UploadResult } from '../../../shared/harness/upload.ts';
import { addToxic, createProxyTo, deleteProxy, removeToxic, setProxyEnabled, type CreatedProxy, type Toxic } from '../../../shared/stack/toxiproxy.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function uniqueName(what: string): string {
  return `lab06-${what}-${randomBytes(4).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// The service with its API→optimizer link through Toxiproxy

export interface ProxiedService {
  svc: RunningService;
  proxy: CreatedProxy;
  /** Adds a toxic to the API→optimizer link. */
  toxic(toxic: Toxic): Promise<void>;
  /** Removes a toxic from that link. */
  heal(name: string): Promise<void>;
  /** Closes every connection through the proxy (disabled, then enabled again): no kept-alive one is left. */
  dropConnections(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the service with the API's OPTIMIZER_URL pointing at a Toxiproxy proxy in front of
 * the optimizer (the worker still reaches the optimizer directly, so queued jobs can finish).
 * The optimizer's port is picked first so the proxy exists before the API starts.
 */
export async function startProxied(stack: StackInfo, what: string, options: Omit<StartServiceOptions, 'stack' | 'ports'>): Promise<ProxiedService> {
  const toxiproxy = stack.toxiproxy;
  if (!toxiproxy) expect.fail('the stack has no Toxiproxy: lab 06 cuts the API→optimizer link through it');
  if (stack.provider !== 'native') expect.fail('lab 06 proxies a process on this machine: Toxiproxy must run natively (STACK_PROVIDER=native)');
  const optimizerPort = await freePort();
  const proxy = await createProxyTo(toxiproxy, uniqueName(what), `127.0.0.1:${optimizerPort}`);
  try {
    const svc = await startService({
      ...options,
      stack,
      ports: { optimizer: optimizerPort },
      envFor: {
        ...options.envFor,
        api: { ...options.envFor?.api, OPTIMIZER_URL: `http://${proxy.host}:${proxy.port}` },
        // The optimizer's probe (with `probe`) records the requests it receives: optimizeRequests().
        optimizer: { ...options.envFor?.optimizer, NWS_PROBE_HTTP_REQUESTS: '1' },
      },
    });
    return {
      svc,
      proxy,
      toxic: (toxic) => addToxic(toxiproxy, proxy.name, toxic),
      heal: (name) => removeToxic(toxiproxy, proxy.name, name),
      async dropConnections() {
        await setProxyEnabled(toxiproxy, proxy.name, false);
        await setProxyEnabled(toxiproxy, proxy.name, true);
      },
      async stop() {
        await svc.stopAll();
        await deleteProxy(toxiproxy, proxy.name);
      },
    };
  } catch (error) {
    await deleteProxy(toxiproxy, proxy.name);
    throw error;
  }
}

/** The blackhole: connections accepted, nothing answered, nothing closed. */
export const blackhole: Toxic = { name: 'blackhole', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } };

// ---------------------------------------------------------------------------------------------
// The optimizer's side: what reached it

/** The /optimize requests the optimizer process received, from the harness's preloaded probe. */
export async function optimizeRequests(svc: RunningService): Promise<ProbeHttpRequest[]> {
  const response = await boundedFetch("the optimizer's probe", `${svc.probeUrl.optimizer}/http-requests`, { timeoutMs: 5_000 });
  const all = (await response.json()) as ProbeHttpRequest[];
  return all.filter((request) => request.path === '/optimize');
}

// ---------------------------------------------------------------------------------------------
// Uploads

export interface Timed {
  result: UploadResult | { error: string };
  ms: number;
}

let photo: Buffer | undefined;
/** A small photo: the uploads' cost is the API's, not the optimizer's. */
export async function smallPhoto(): Promise<Buffer> {
  photo ??= await photoJpeg(320, 240);
  return photo;
}

/**
 * The small photo with `note` in a JPEG comment segment (COM, after SOI): other bytes, the same
 * pixels, so every upload is its own original in MinIO, as distinct pictures are.
 */
export function withComment(jpeg: Buffer, note: string): Buffer {
  const text = Buffer.from(note, 'utf8');
  const head = Buffer.from([0xff, 0xfe, 0, 0]);
  head.writeUInt16BE(text.length + 2, 2); // the length counts itself, not the marker
  return Buffer.concat([jpeg.subarray(0, 2), head, text, jpeg.subarray(2)]);
}

/** One upload of its own picture and watermark text (never a cache hit), timed from the client. */
export async function timedUpload(apiUrl: string, text: string, timeoutMs = 30_000): Promise<Timed> {
  const image = withComment(await smallPhoto(), text);
  const start = performance.now();
  try {
    const result = await upload(apiUrl, { image, wmText: text, timeoutMs });
    return { result, ms: performance.now() - start };
  } catch (error) {
    return { result: { error: (error as Error).message }, ms: performance.now() - start };
  }
}

export function statusOf(timed: Timed): string {
  return 'error' in timed.result ? timed.result.error : String(timed.result.status);
}

/** The `optimizer` step of an answer's Server-Timing, in ms (undefined when absent). */
export function optimizerStepMs(timed: Timed): number | undefined {
  if ('error' in timed.result) return undefined;
  return serverTiming(timed.result.headers.get('server-timing')).get('optimizer');
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Polls /status/<key> until done or `timeoutMs`; true when done. */
export async function waitDone(apiUrl: string, statusUrl: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const response = await boundedFetch('GET /status', `${apiUrl}${statusUrl}`, { timeoutMs: 5_000 }).catch(() => undefined);
    const body = response ? ((await response.json().catch(() => null)) as { status?: string } | null) : null;
    if (body?.status === 'done') return true;
    await sleep(200);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// A stand-in optimizer that fails every call and records when each arrived

export interface FailingOptimizer {
  url: string;
  /** One entry per call: when it arrived and the request id it carried. */
  calls: Array<{ at: number; requestId: string | undefined }>;
  close(): Promise<void>;
}

export async function startFailingOptimizer(): Promise<FailingOptimizer> {
  const calls: FailingOptimizer['calls'] = [];
  const server: Server = createServer((req, res) => {
    calls.push({ at: Date.now(), requestId: req.headers['x-request-id'] as string | undefined });
    req.resume();
    req.once('end', () => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'TEST_DOWN', message: 'a stand-in optimizer that always fails' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
