// 08.otlp, 08.one-trace, 08.optimizer-steps, 08.log-correlation: one upload (a cache miss, so
// the optimizer runs) sent with a caller's traceparent, and what the API's and the
// optimizer's exporters sent about it, decoded by the harness's OTLP/HTTP receiver. The body
// arrives in two halves a second apart, and span durations are compared with the work they
// name, so a span opened and closed around nothing (a marker) does not pass for a step.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ReceivedSpan } from '../../../shared/harness/otlp-receiver.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { waitFor } from '../../../shared/harness/wait.ts';
import { CLIENT, SERVER, ancestors, apiRoot, find, formatTrace, freshPicture, isDescendant, newCaller, orphans, requestLines, settledTrace, startTraced, HOOK_TIMEOUT_MS, type Caller, type TracedService } from './trace-helpers.ts';

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
/**
 * The upload's body arrives in two halves this far apart, so the API's read step lasts at least
 * that long: a "read" span that is only a marker (opened and closed around nothing, the body
 * read outside it) cannot cover the gap.
 */
const PAUSE_MS = 1000;
/** The stage spans must time their stages: together ≥ 50 % of optimize (the solution: 98.8–99.5 %). */
const MIN_STAGES_SHARE = 0.5;
/** …and resize, watermark and encode each ≥ 1 % of it (the solution: ≥ 5 % each; decode, a header read, can be less). */
const MIN_STAGE_SHARE = 0.01;
const MIN_STAGE_SHARE_OF = ['resize', 'watermark', 'encode'];
const ms = (ns: bigint) => (Number(ns) / 1e6).toFixed(1);
const share = (part: ReceivedSpan, whole: ReceivedSpan) => Number(part.endNs - part.startNs) / Number(whole.endNs - whole.startNs);

describe('one upload, traced', () => {
  let traced: TracedService;
  let caller: Caller;
  let spans: ReceivedSpan[];
  /** Date.now() when the test sent the body's second half. */
  let secondHalfAt: number;
  /** Why the trace did not settle, when it did not: shown with every failure below. */
  let unsettled = '';
  /** Why a process's "request completed" line for the upload was not found in time. */
  let unlogged = '';
  const show = () => `\n${unsettled ? `${unsettled}\n` : ''}${formatTrace(spans)}`;

  beforeAll(async () => {
    traced = await startTraced(stack, { tree: inject('tree'), processes: ['api', 'optimizer'] });
    caller = newCaller('one');
    const answer = await upload(traced.svc.apiUrl, { image: await freshPicture(), wmText: caller.requestId, headers: caller.headers, pauseMs: PAUSE_MS });
    secondHalfAt = answer.secondHalfAt!;
    expect(answer.status, `the upload's answer: ${answer.body.toString().slice(0, 200)}`).toBe(200);
    expect(answer.headers.get('x-cache'), 'a fresh picture is a cache miss').toBe('MISS');
    // Complete once the optimizer's server span and the API's root (the last to end) arrived.
    spans = await settledTrace(traced.receiver, caller.traceId, (got) => {
      if (!apiRoot(got, caller)) return `no server span of the api whose parent is the caller's span ${caller.parentId}`;
      if (!got.some((span) => span.service === 'optimizer' && span.kind === SERVER)) return 'no server span of the optimizer';
      return undefined;
    }).catch((error: unknown) => {
      unsettled = `(the trace did not settle: ${(error as Error).message.split('\n').slice(0, 2).join(' ')})`;
      return traced.receiver.trace(caller.traceId);
    });
    // Each process writes its "request completed" line once its answer is out: wait for both.
    await waitFor(
      `a "request completed" line with request_id ${caller.requestId} from the api and from the optimizer`,
      async () => (['api', 'optimizer'] as const).every((name) => requestLines(traced.svc.logs(name), caller.requestId).some((line) => line.msg === 'request completed')) || undefined,
      5_000,
    ).catch((error: unknown) => {
      unlogged = (error as Error).message;
    });
  }, HOOK_TIMEOUT_MS);
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
    // The first steps time their work, one after the other: read lasts while the body arrives
    // (the test sent its second half PAUSE_MS after the first), sha256 starts once read has
    // ended, redis get once sha256 has ended.
    const [read, sha, lookup] = ['read', 'sha256', 'redis get'].map((name) => find(spans, 'api', name)[0]!);
    const at = BigInt(secondHalfAt) * 1_000_000n;
    const readWhen = `read ran from ${ms(read!.startNs - at)} ms to ${ms(read!.endNs - at)} ms around the moment the test sent the body's second half`;
    expect(read!.startNs <= at && read!.endNs >= at - SLACK, `"read" open while the body arrives (the test sent it in two halves ${PAUSE_MS} ms apart): ${readWhen}; a span opened and closed around nothing does not time the read${show()}`).toBe(true);
    expect(sha!.startNs >= read!.endNs - SLACK, `sha256 starts once read has ended (${ms(sha!.startNs - read!.endNs)} ms after it)${show()}`).toBe(true);
    expect(lookup!.startNs >= sha!.endNs - SLACK, `redis get starts once sha256 has ended (${ms(lookup!.startNs - sha!.endNs)} ms after it)${show()}`).toBe(true);
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
    // Auto-instrumentation: the cache lookup and the cache write are ioredis spans under "redis get" and "redis set", MinIO's PUT an http client span under "minio put".
    for (const redis of [lookup!, set]) {
      expect(spans.some((span) => span.scope.includes('ioredis') && span.parentSpanId === redis.spanId), `an ioredis span under "${redis.name}": the command runs inside its step's span${show()}`).toBe(true);
    }
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
    // The stage spans time their stages: markers opened and closed around nothing, or one span
    // covering two stages while the other marks the spot, leave the optimize span empty.
    const stages = IMAGE_STEPS.map((name) => find(spans, 'optimizer', name)[0]!);
    const shares = stages.map((stage) => `${stage.name} ${(share(stage, optimize!) * 100).toFixed(1)} %`).join(', ');
    const covered = stages.reduce((sum, stage) => sum + share(stage, optimize!), 0);
    expect(covered, `the four stages' share of the optimize span's time (${shares}): spans that time the stages fill it${show()}`).toBeGreaterThanOrEqual(MIN_STAGES_SHARE);
    for (const stage of stages.filter((s) => MIN_STAGE_SHARE_OF.includes(s.name))) {
      expect(share(stage, optimize!), `"${stage.name}"'s share of the optimize span (${shares}): a span that times its stage, not a marker${show()}`).toBeGreaterThanOrEqual(MIN_STAGE_SHARE);
    }
  });

  it('08.log-correlation every log line of the upload, in the API and the optimizer, carries its trace_id and the span_id of a span of it', () => {
    const ids = new Set(spans.map((span) => span.spanId));
    for (const name of ['api', 'optimizer'] as const) {
      const lines = requestLines(traced.svc.logs(name), caller.requestId);
      expect(lines.length, `${name} log lines with request_id ${caller.requestId}`).toBeGreaterThanOrEqual(2);
      // The last line of a request: checked too, so none of the upload's lines goes unchecked.
      expect(lines.filter((line) => line.msg === 'request completed').length, `${name}'s "request completed" line with request_id ${caller.requestId}${unlogged ? ` (${unlogged})` : ''}`).toBe(1);
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
