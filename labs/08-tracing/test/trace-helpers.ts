// Lab 08's view of a trace: what the three processes' exporters really sent over OTLP/HTTP, as
// the receiver the harness runs decoded it (shared/harness/otlp-receiver.ts). Nothing here asks
// the service what it traced. Each upload starts with a traceparent the test made up, as a load
// balancer would send it: the test knows the trace id and the caller's span id before the
// service sees the request, so a trace the service starts on its own cannot pass for it.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../shared/harness/otlp-receiver.ts';
import { startService, type RunningService, type StartServiceOptions } from '../../../shared/harness/service.ts';
import { formatTrace } from '../../../shared/harness/trace-tree.ts';
import type { StackInfo } from '../../../shared/stack/types.ts';

export const SERVER = 2;
export const CLIENT = 3;
export const PRODUCER = 4;
export const CONSUMER = 5;

export interface TracedService {
  svc: RunningService;
  receiver: OtlpReceiver;
  stop(): Promise<void>;
}

/**
 * How long each process may take to print its ready line. The OpenTelemetry preload costs
 * seconds per process (about 4.6 s at a load of 5), and two test files start their services at
 * once: the harness's default of 20 s was exceeded at loads of 6–11.
 */
export const STARTUP_MS = 45_000;
/**
 * A beforeAll's bound: the processes start one after the other (the optimizer first), each
 * within STARTUP_MS, then an upload (≤ 21 s), the worker's job (≤ 20 s) and settling (≤ 10 s).
 */
export const HOOK_TIMEOUT_MS = 3 * STARTUP_MS + 60_000;

/** The service with its exporters pointed at a receiver of the test's own (batches every 100 ms). */
export async function startTraced(stack: StackInfo, options: Omit<StartServiceOptions, 'stack'>): Promise<TracedService> {
  const receiver = await startOtlpReceiver();
  const svc = await startService({
    readyTimeoutMs: STARTUP_MS,
    ...options,
    stack,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', ...options.env },
  }).catch(async (error: unknown) => {
    await receiver.close();
    throw error;
  });
  return {
    svc,
    receiver,
    async stop() {
      await svc.stopAll();
      await receiver.close();
    },
  };
}

export interface Caller {
  traceId: string;
  /** The span id of the (imaginary) caller: the API's server span must name it as its parent. */
  parentId: string;
  requestId: string;
  headers: Record<string, string>;
}

/** A caller's W3C trace context (sampled) and request id, fresh each time. */
export function newCaller(what: string): Caller {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  const requestId = `lab08-${what}-${randomBytes(4).toString('hex')}`;
  return { traceId, parentId, requestId, headers: { traceparent: `00-${traceId}-${parentId}-01`, 'x-request-id': requestId } };
}

/** A picture no cache has seen: its own size. */
export async function freshPicture(): Promise<Buffer> {
  return photoJpeg(640 + Math.floor(Math.random() * 400), 480 + Math.floor(Math.random() * 300));
}

/**
 * Waits until `ready` holds for the trace's spans and no new span arrived for 300 ms (the
 * exporters batch every 100 ms), or fails after `timeoutMs` saying what was missing and
 * printing what did arrive.
 */
export async function settledTrace(receiver: OtlpReceiver, traceId: string, ready: (spans: ReceivedSpan[]) => string | undefined, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + timeoutMs;
  let count = -1;
  let stableSince = Date.now();
  for (;;) {
    const spans = receiver.trace(traceId);
    if (spans.length !== count) {
      count = spans.length;
      stableSince = Date.now();
    }
    const missing = ready(spans);
    if (missing === undefined && Date.now() - stableSince >= 300) return spans;
    if (Date.now() > deadline) {
      const all = receiver.spans();
      const services = [...new Set(all.map((span) => span.service))].join(', ') || 'none';
      throw new Error(
        `within ${timeoutMs} ms the receiver got no complete trace ${traceId}: ${missing ?? 'spans still arriving'}.\n` +
          `It received ${all.length} span(s) in all (${receiver.requests().length} POST(s); services: ${services}) and these in that trace:\n${formatTrace(spans)}`,
      );
    }
    await sleep(50);
  }
}

/** A span's ancestors (parent first) within `spans`; stops where a parent is missing. */
export function ancestors(span: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out: ReceivedSpan[] = [];
  for (let parent = byId.get(span.parentSpanId); parent && out.length < 100; parent = byId.get(parent.parentSpanId)) out.push(parent);
  return out;
}

export function isDescendant(span: ReceivedSpan, of: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  return ancestors(span, spans).some((a) => a.spanId === of.spanId);
}

export const find = (spans: ReceivedSpan[], service: string, name: string) => spans.filter((span) => span.service === service && span.name === name);

/** The API's server span of the upload: the one whose parent is the caller's span. */
export function apiRoot(spans: ReceivedSpan[], caller: Caller): ReceivedSpan | undefined {
  return spans.find((span) => span.service === 'api' && span.kind === SERVER && span.parentSpanId === caller.parentId);
}

/** Spans of the trace whose parent is neither in the trace nor the caller: links made up or lost. */
export function orphans(spans: ReceivedSpan[], caller: Caller): ReceivedSpan[] {
  const ids = new Set(spans.map((span) => span.spanId));
  return spans.filter((span) => span.parentSpanId !== caller.parentId && !ids.has(span.parentSpanId));
}

/** Log lines (JSON) of one process that carry the request id. */
export function requestLines(logs: string, requestId: string): Array<Record<string, unknown>> {
  return logs
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })
    .filter((line): line is Record<string, unknown> => line !== undefined && line.request_id === requestId);
}

export { formatTrace };
