// The receiver lab 08's tests and npm start rely on: it decodes OTLP/HTTP JSON as the JS
// exporter writes it, refuses what it cannot decode, and the trace tree shows broken links; and
// the sink the harness points other tests' traced services at.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSpanLines, spanSink, startOtlpReceiver } from '../otlp-receiver.ts';
import { formatTrace, tracesWithAttribute } from '../trace-tree.ts';

const traceId = 'ab'.repeat(16);
const body = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
      scopeSpans: [
        {
          scope: { name: '@opentelemetry/instrumentation-http' },
          spans: [
            { traceId, spanId: '1'.repeat(16), name: 'POST /upload', kind: 2, startTimeUnixNano: '1000000000', endTimeUnixNano: '1380000000', attributes: [{ key: 'http.response.header.x_request_id', value: { arrayValue: { values: [{ stringValue: 'demo-1' }] } } }] },
            { traceId, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'redis get', kind: 1, startTimeUnixNano: '1003000000', endTimeUnixNano: '1005000000', status: { code: 2 } },
            { traceId, spanId: '3'.repeat(16), parentSpanId: '9'.repeat(16), name: 'lost', kind: 1, startTimeUnixNano: '1004000000', endTimeUnixNano: '1006000000' },
          ],
        },
      ],
    },
  ],
};

describe('the OTLP/HTTP receiver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nws-otlp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes a JSON ExportTraceServiceRequest, keeps it in memory and in its file, and refuses protobuf', async () => {
    const file = join(dir, 'spans.jsonl');
    const receiver = await startOtlpReceiver({ file });
    try {
      const post = (type: string, payload: string) => fetch(`${receiver.endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': type }, body: payload, signal: AbortSignal.timeout(5_000) });
      expect((await post('application/json', JSON.stringify(body))).status).toBe(200);
      expect((await post('application/x-protobuf', 'binary')).status).toBe(415);
      expect((await post('application/json', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"XYZ","spanId":"1"}]}]}]}')).status).toBe(400);
      const spans = receiver.trace(traceId);
      expect(spans.map((span) => [span.service, span.name, span.parentSpanId])).toEqual([
        ['api', 'POST /upload', ''],
        ['api', 'redis get', '1'.repeat(16)],
        ['api', 'lost', '9'.repeat(16)],
      ]);
      expect(spans[0]!.endNs - spans[0]!.startNs).toBe(380_000_000n);
      expect(receiver.requests().map((request) => request.spans)).toEqual([3, 0, 0]);
      expect(parseSpanLines(readFileSync(file, 'utf8'))).toEqual(spans);
      expect(tracesWithAttribute(spans, 'demo-1')).toEqual([traceId]);
      const tree = formatTrace(spans);
      expect(tree).toMatch(/└── \[api\] redis get +3\.0ms → 5\.0ms {2}ERROR/);
      expect(tree).toMatch(/\[api\] lost .*\(parent 9{16} missing\)/);
    } finally {
      await receiver.close();
    }
  });

  it('spanSink() is one receiver per process that answers every export 200 and keeps nothing', async () => {
    const sink = await spanSink();
    expect(await spanSink(), 'the same sink each time').toBe(sink);
    const answer = await fetch(`${sink.endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(200);
    expect([sink.spans().length, sink.requests().length]).toEqual([0, 0]);
  });
});
