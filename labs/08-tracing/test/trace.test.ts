// 08.otlp, 08.one-trace, 08.optimizer-steps, 08.log-correlation: one upload (a cache miss, so
// the optimizer runs) sent with a caller's traceparent, and what the API's and the
// optimizer's exporters sent about it, decoded by the harness's OTLP/HTTP receiver.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ReceivedSpan } from '../../../shared/harness/otlp-receiver.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { CLIENT, SERVER, ancestors, apiRoot, find, formatTrace, freshPicture, isDescendant, newCaller, orphans, requestLines, settledTrace, startTraced, type Caller, type TracedService } from './trace-helpers.ts';

const stack = inject('stack');
/** The API's steps on a miss, in the order they start (gzip is skipped for a JPEG answer). */
const API_STEPS = ['read', 'sha256', 'redis get', 'minio put', 'optimizer', 'redis set'];
const IMAGE_STEPS = ['decode', 'resize', 'watermark', 'encode'];
/**
 * Slack for comparing times, in ns: a span's start is recorded to the millisecond (its end to
 * the microsecond), and a server span ends when its answer is flushed, a little after the
 * client has read it.
 */
const SLACK = 1_500_000n;

describe('one upload, traced', () => {
  let traced: TracedService;
  let caller: Caller;
  let spans: ReceivedSpan[];
  const show = () => `\n${formatTrace(spans)}`;

  beforeAll(async () => {
    traced = await startTraced(stack, { tree: inject('tree'), processes: ['api', 'optimizer'] });
    caller = newCaller('one');
    const answer = await upload(traced.svc.apiUrl, { image: await freshPicture(), wmText: caller.requestId, headers: caller.headers });
    expect(answer.status, `the upload's answer: ${answer.body.toString().slice(0, 200)}`).toBe(200);
    expect(answer.headers.get('x-cache'), 'a fresh picture is a cache miss').toBe('MISS');
    // Complete once the optimizer's server span and the API's root (the last to end) arrived.
    spans = await settledTrace(traced.receiver, caller.traceId, (got) => {
      if (!apiRoot(got, caller)) return `no server span of the api whose parent is the caller's span ${caller.parentId}`;
      if (!got.some((span) => span.service === 'optimizer' && span.kind === SERVER)) return 'no server span of the optimizer';
      return undefined;
    }).catch(() => traced.receiver.trace(caller.traceId));
  }, 60_000);
  afterAll(() => traced?.stop());

  it('08.otlp the API and the optimizer send their spans over OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT, and the receiver decodes them', () => {
    const posts = traced.receiver.requests();
    expect(posts.length, 'POSTs that reached the receiver at OTEL_EXPORTER_OTLP_ENDPOINT: no span left the processes over OTLP/HTTP').toBeGreaterThan(0);
    expect(posts.filter((post) => post.path !== '/v1/traces').map((post) => post.path), 'requests to paths other than /v1/traces').toEqual([]);
    expect(posts.filter((post) => !post.contentType.startsWith('application/json')).map((post) => post.contentType), 'POSTs not in the JSON encoding (this receiver decodes OTLP/HTTP JSON)').toEqual([]);
    const services = new Set(traced.receiver.spans().map((span) => span.service));
    expect([...services].sort(), 'service.name of the resources the decoded spans came with').toEqual(expect.arrayContaining(['api', 'optimizer']));
    expect(spans.length, `spans of the upload's trace ${caller.traceId} that arrived`).toBeGreaterThan(0);
  });

  it('08.one-trace the upload is one trace, continued from the caller: api spans, then the optimizer\'s, each with its real parent', () => {
    const root = apiRoot(spans, caller);
    expect(root, `the API's server span continuing the caller's traceparent (trace ${caller.traceId}, parent ${caller.parentId})${show()}`).toBeDefined();
    expect(orphans(spans, caller).map((span) => `[${span.service}] ${span.name} (parent ${span.parentSpanId || 'none'})`), `spans of the trace whose parent is not in it: a link made up or lost${show()}`).toEqual([]);
    for (const name of API_STEPS) {
      const [step] = find(spans, 'api', name);
      expect(step, `the api's "${name}" span${show()}`).toBeDefined();
      expect(isDescendant(step!, root!, spans), `"${name}" inside the API's server span${show()}`).toBe(true);
    }
    const starts = API_STEPS.slice(0, 3).map((name) => find(spans, 'api', name)[0]!.startNs);
    expect([...starts].sort((a, b) => (a < b ? -1 : 1)), `read, sha256 and redis get start in that order${show()}`).toEqual(starts);
    const call = find(spans, 'api', 'optimizer')[0]!;
    const set = find(spans, 'api', 'redis set')[0]!;
    expect(set.startNs >= call.endNs - SLACK, `redis set starts once the optimizer call has ended${show()}`).toBe(true);
    // The optimizer's side: its server span is the child of a span of the API's optimizer call.
    const remote = spans.filter((span) => span.service === 'optimizer' && span.kind === SERVER);
    expect(remote.length, `the optimizer's server span in the upload's trace (the call carried no traceparent, or the optimizer ignored it)${show()}`).toBe(1);
    const [server] = remote;
    const parent = spans.find((span) => span.spanId === server!.parentSpanId);
    expect(parent?.service, `the parent of the optimizer's server span: a span of the api${show()}`).toBe('api');
    expect(parent!.spanId === call.spanId || isDescendant(parent!, call, spans), `the optimizer's server span under the API's "optimizer" span${show()}`).toBe(true);
    expect(server!.startNs >= call.startNs - SLACK && server!.startNs <= call.endNs, `the optimizer's server span starts within the API's call${show()}`).toBe(true);
    for (const span of spans.filter((s) => s.service === 'optimizer')) {
      expect(span === server || isDescendant(span, server!, spans), `optimizer span "${span.name}" under its server span${show()}`).toBe(true);
    }
    // Auto-instrumentation: the cache lookup is an ioredis span under "redis get", MinIO's PUT an http client span under "minio put".
    const get = find(spans, 'api', 'redis get')[0]!;
    expect(spans.some((span) => span.scope.includes('ioredis') && span.parentSpanId === get.spanId), `an ioredis span under "redis get"${show()}`).toBe(true);
    const put = find(spans, 'api', 'minio put')[0]!;
    expect(spans.some((span) => span.kind === CLIENT && isDescendant(span, put, spans)), `an http client span (MinIO) under "minio put"${show()}`).toBe(true);
  });

  it('08.optimizer-steps decode, resize, watermark and encode are children of the optimize span, in that order, inside it', () => {
    const [optimize] = find(spans, 'optimizer', 'optimize');
    expect(optimize, `the optimizer's "optimize" span${show()}`).toBeDefined();
    const server = spans.find((span) => span.service === 'optimizer' && span.kind === SERVER);
    expect(server && isDescendant(optimize!, server, spans), `"optimize" inside the optimizer's server span${show()}`).toBe(true);
    let previousEnd = optimize!.startNs;
    for (const name of IMAGE_STEPS) {
      const found = find(spans, 'optimizer', name);
      expect(found.length, `one "${name}" span in the optimizer${show()}`).toBe(1);
      const [step] = found;
      expect(step!.parentSpanId, `"${name}"'s parent: the optimize span ${optimize!.spanId}, not a sibling of it${show()}`).toBe(optimize!.spanId);
      expect(step!.startNs >= previousEnd - SLACK && step!.endNs <= optimize!.endNs + SLACK, `"${name}" starts after the previous step ended and ends within optimize${show()}`).toBe(true);
      previousEnd = step!.endNs;
    }
  });

  it('08.log-correlation every log line of the upload, in the API and the optimizer, carries its trace_id and the span_id of a span of it', () => {
    const ids = new Set(spans.map((span) => span.spanId));
    for (const name of ['api', 'optimizer'] as const) {
      const lines = requestLines(traced.svc.logs(name), caller.requestId);
      expect(lines.length, `${name} log lines with request_id ${caller.requestId}`).toBeGreaterThanOrEqual(2);
      const wrong = lines.filter((line) => line.trace_id !== caller.traceId).map((line) => `${String(line.msg)}: trace_id ${String(line.trace_id)}`);
      expect(wrong, `${name} lines of the upload whose trace_id is not the upload's trace ${caller.traceId}`).toEqual([]);
      const unknown = lines.filter((line) => typeof line.span_id !== 'string' || !ids.has(line.span_id)).map((line) => `${String(line.msg)}: span_id ${String(line.span_id)}`);
      expect(unknown, `${name} lines whose span_id is no span the receiver got for that trace`).toEqual([]);
    }
    // A step's line is written inside its own span.
    const step = requestLines(traced.svc.logs('api'), caller.requestId).find((line) => line.step === 'minio');
    const put = find(spans, 'api', 'minio put')[0];
    expect(step?.span_id, 'the span_id on the "minio put" step line: the minio put span').toBe(put?.spanId);
    expect(ancestors(put!, spans).length).toBeGreaterThan(0);
  });
});
