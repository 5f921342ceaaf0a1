// 08.amqp: an upload the API cannot hand to the optimizer (its OPTIMIZER_URL refuses
// connections) is queued in RabbitMQ and watermarked by the worker, which reaches the optimizer
// itself. The worker's work for that job — the delivery, its steps, its call to the optimizer —
// must belong to the upload's trace, linked through the message: the API's publish span is the
// parent of the worker's consumer span, read from what the exporters sent.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { boundedFetch } from '../../../shared/harness/bounded-fetch.ts';
import type { ReceivedSpan } from '../../../shared/harness/otlp-receiver.ts';
import { freePort } from '../../../shared/harness/ports.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { waitFor } from '../../../shared/harness/wait.ts';
import { CONSUMER, PRODUCER, SERVER, apiRoot, find, formatTrace, freshPicture, isDescendant, newCaller, orphans, requestLines, settledTrace, startTraced, HOOK_TIMEOUT_MS, type Caller, type TracedService } from './trace-helpers.ts';

const stack = inject('stack');
const WORKER_STEPS = ['minio get', 'optimizer', 'redis set'];

describe('a queued upload, traced through RabbitMQ', () => {
  let traced: TracedService;
  let caller: Caller;
  let spans: ReceivedSpan[];
  /** Why the trace did not settle, when it did not: shown with every failure below. */
  let unsettled = '';
  const show = () => `\n${unsettled ? `${unsettled}\n` : ''}${formatTrace(spans)}`;

  beforeAll(async () => {
    // Nothing listens on this port: the API's optimizer call is refused at once, so it queues.
    const refused = `http://127.0.0.1:${await freePort()}`;
    traced = await startTraced(stack, { tree: inject('tree'), envFor: { api: { OPTIMIZER_URL: refused } }, env: { RETRY_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '400' } });
    caller = newCaller('amqp');
    const answer = await upload(traced.svc.apiUrl, { image: await freshPicture(), wmText: caller.requestId, headers: caller.headers });
    expect(answer.status, `the upload with the optimizer unreachable from the API: queued (${answer.body.toString().slice(0, 200)})`).toBe(202);
    const { statusUrl } = answer.json<{ statusUrl: string }>();
    await waitFor(
      `the worker to finish the queued upload (${statusUrl})`,
      async () => {
        const status = await boundedFetch('GET /status', `${traced.svc.apiUrl}${statusUrl}`, { timeoutMs: 5_000 });
        const body = (await status.json()) as { status?: string };
        return body.status === 'done' ? true : undefined;
      },
      20_000,
    );
    spans = await settledTrace(traced.receiver, caller.traceId, (got) => {
      if (!apiRoot(got, caller)) return `no server span of the api whose parent is the caller's span ${caller.parentId}`;
      if (!got.some((span) => span.service === 'worker' && span.kind === CONSUMER)) return "no consumer span of the worker in the upload's trace";
      if (!WORKER_STEPS.every((name) => find(got, 'worker', name).length > 0)) return `not every worker step span (${WORKER_STEPS.join(', ')}) in the upload's trace`;
      if (!got.some((span) => span.service === 'optimizer' && span.kind === SERVER)) return "no server span of the optimizer (called by the worker) in the upload's trace";
      return undefined;
    }).catch((error: unknown) => {
      unsettled = `(the trace did not settle: ${(error as Error).message.split('\n').slice(0, 2).join(' ')})`;
      return traced.receiver.trace(caller.traceId);
    });
  }, HOOK_TIMEOUT_MS);
  afterAll(() => traced?.stop());

  it("08.amqp the queued job's worker spans belong to the upload's trace, their parent the API's publish span, down to the optimizer's spans", () => {
    const root = apiRoot(spans, caller);
    expect(root, `the API's server span continuing the caller's traceparent${show()}`).toBeDefined();
    const publish = spans.filter((span) => span.service === 'api' && span.kind === PRODUCER);
    expect(publish.length, `the API's publish span (a producer span, amqplib) in the upload's trace${show()}`).toBe(1);
    expect(isDescendant(publish[0]!, root!, spans), `the publish span inside the API's request${show()}`).toBe(true);
    const consumers = spans.filter((span) => span.service === 'worker' && span.kind === CONSUMER);
    expect(consumers.length, `the worker's consumer span in the upload's trace: the message carried no traceparent, or the worker did not read it${show()}`).toBeGreaterThanOrEqual(1);
    const consumer = consumers.find((span) => span.parentSpanId === publish[0]!.spanId);
    expect(consumer, `a worker consumer span whose parent is the API's publish span ${publish[0]!.spanId}${show()}`).toBeDefined();
    for (const name of WORKER_STEPS) {
      const [step] = find(spans, 'worker', name);
      expect(step, `the worker's "${name}" span in the upload's trace: the job's work lost the delivery's context${show()}`).toBeDefined();
      expect(isDescendant(step!, consumer!, spans), `the worker's "${name}" under its consumer span${show()}`).toBe(true);
    }
    const call = find(spans, 'worker', 'optimizer')[0]!;
    const server = spans.filter((span) => span.service === 'optimizer' && span.kind === SERVER);
    expect(server.length, `the optimizer's server span for the worker's call${show()}`).toBe(1);
    expect(isDescendant(server[0]!, call, spans), `the optimizer's server span under the worker's "optimizer" span${show()}`).toBe(true);
    expect(orphans(spans, caller).map((span) => `[${span.service}] ${span.name}`), `spans of the trace whose parent is not in it${show()}`).toEqual([]);
    // The worker's lines for that job carry the same trace.
    const lines = requestLines(traced.svc.logs('worker'), caller.requestId);
    expect(lines.length, `worker log lines with request_id ${caller.requestId}`).toBeGreaterThan(0);
    expect(lines.filter((line) => line.trace_id !== caller.traceId).map((line) => `${String(line.msg)}: ${String(line.trace_id)}`), "worker lines of the job without the upload's trace_id").toEqual([]);
  });
});
