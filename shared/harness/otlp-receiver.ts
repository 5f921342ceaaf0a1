// A small OTLP/HTTP trace receiver (node:http): what an exporter really sends over the wire,
// decoded. Lab 08's tests run one and point the service's processes at it with
// OTEL_EXPORTER_OTLP_ENDPOINT; `npm start` runs one too and appends every span it decodes to a
// file, which `npm run trace` reads. It is not a collector: it keeps spans in memory (and in
// that file), answers 200 with an empty ExportTraceServiceResponse, and understands the JSON
// encoding only (Content-Type application/json, what @opentelemetry/exporter-trace-otlp-http
// sends); a protobuf body is answered 415 and counted, so a test can say what arrived.
//
// The JSON encoding (OTLP 1.x, opentelemetry-proto's JSON mapping) as the JS exporter writes it:
//   { resourceSpans: [ { resource: { attributes: [KeyValue] },
//                        scopeSpans: [ { scope: { name, version }, spans: [ Span ] } ] } ] }
//   Span: traceId and spanId hex (32 and 16 digits), parentSpanId hex or absent, name, kind (1 internal,
//   2 server, 3 client, 4 producer, 5 consumer), start/endTimeUnixNano (decimal strings), attributes,
//   status { code: 0 unset, 1 ok, 2 error }.
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

/** One decoded span, with the resource and scope it arrived under. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  /** Nanoseconds since the epoch, as bigint: a double loses the microseconds. */
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  statusCode: number;
  /** The resource's service.name: api, optimizer, worker. */
  service: string;
  scope: string;
}

/** One POST the receiver answered. */
export interface ReceivedRequest {
  path: string;
  contentType: string;
  userAgent: string;
  bytes: number;
  spans: number;
  /** Date.now() when it arrived. */
  at: number;
}

export interface OtlpReceiver {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT should say (the exporter appends /v1/traces). */
  endpoint: string;
  spans(): ReceivedSpan[];
  requests(): ReceivedRequest[];
  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[];
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  host?: string;
  /** Append every decoded span to this file, one JSON object per line (bigints as strings). */
  file?: string;
  /** false: a sink that answers 200 and keeps nothing (no decoding, no memory): see spanSink(). */
  keep?: boolean;
}

const maxBody = 32 * 1024 * 1024;

export async function startOtlpReceiver(options: ReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  if (options.file) mkdirSync(dirname(options.file), { recursive: true });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req).catch(() => undefined);
      if (options.keep === false) return reply(res, body ? 200 : 413, {});
      const contentType = String(req.headers['content-type'] ?? '');
      const record: ReceivedRequest = { path: req.url ?? '', contentType, userAgent: String(req.headers['user-agent'] ?? ''), bytes: body?.length ?? 0, spans: 0, at: Date.now() };
      requests.push(record);
      if (req.method !== 'POST' || req.url !== '/v1/traces') return reply(res, 404, { error: 'this receiver takes POST /v1/traces only' });
      if (!body) return reply(res, 413, { error: `body over ${maxBody} bytes or cut short` });
      if (!contentType.startsWith('application/json')) return reply(res, 415, { error: 'this receiver decodes OTLP/HTTP JSON only (application/json)' });
      let decoded: ReceivedSpan[];
      try {
        decoded = decodeTraces(JSON.parse(body.toString('utf8')));
      } catch (error) {
        return reply(res, 400, { error: `not an OTLP ExportTraceServiceRequest: ${(error as Error).message}` });
      }
      record.spans = decoded.length;
      spans.push(...decoded);
      if (options.file && decoded.length > 0) appendFileSync(options.file, decoded.map((span) => JSON.stringify(span, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).join('\n') + '\n');
      reply(res, 200, {});
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  if (options.keep === false) server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    requests: () => [...requests],
    trace: (traceId) => spans.filter((span) => span.traceId === traceId),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(res: import('node:http').ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        req.destroy();
        reject(new Error('too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}

function valueOf(value: JsonAnyValue | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return null;
}

function attributesOf(list: JsonKeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

const hexId = (length: number) => new RegExp(`^[0-9a-f]{${length}}$`);

/** Decodes an ExportTraceServiceRequest in OTLP's JSON encoding; throws on what is not one. */
export function decodeTraces(request: unknown): ReceivedSpan[] {
  const resourceSpans = (request as { resourceSpans?: unknown }).resourceSpans;
  if (!Array.isArray(resourceSpans)) throw new Error('no resourceSpans array');
  const out: ReceivedSpan[] = [];
  for (const rs of resourceSpans as Array<{ resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: unknown[] }> }>) {
    const resource = attributesOf(rs.resource?.attributes);
    const service = String(resource['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const raw of (ss.spans ?? []) as Array<Record<string, unknown>>) {
        const traceId = String(raw.traceId ?? '');
        const spanId = String(raw.spanId ?? '');
        const parentSpanId = String(raw.parentSpanId ?? '');
        if (!hexId(32).test(traceId) || !hexId(16).test(spanId) || (parentSpanId !== '' && !hexId(16).test(parentSpanId))) {
          throw new Error(`span "${String(raw.name)}" has ids that are not lowercase hex (traceId ${traceId}, spanId ${spanId})`);
        }
        out.push({
          traceId,
          spanId,
          parentSpanId,
          name: String(raw.name ?? ''),
          kind: Number(raw.kind ?? 0),
          startNs: BigInt(String(raw.startTimeUnixNano ?? '0')),
          endNs: BigInt(String(raw.endTimeUnixNano ?? '0')),
          attributes: attributesOf(raw.attributes as JsonKeyValue[] | undefined),
          statusCode: Number((raw.status as { code?: number } | undefined)?.code ?? 0),
          service,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

/** Reads a file the receiver wrote (`file` option) back into spans. */
export function parseSpanLines(text: string): ReceivedSpan[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const span = JSON.parse(line) as Omit<ReceivedSpan, 'startNs' | 'endNs'> & { startNs: string; endNs: string };
      return { ...span, startNs: BigInt(span.startNs), endNs: BigInt(span.endNs) };
    });
}

let sink: Promise<OtlpReceiver> | undefined;

/**
 * One receiver per test process that takes every span and keeps none: where the harness points
 * a traced service (lab 08 on) whose test does not read its spans. Without it each export is
 * refused, and the exporter's retries leave timers behind (lab 04's leak test counts them) and
 * spend CPU, which production, with a collector, would not.
 */
export function spanSink(): Promise<OtlpReceiver> {
  sink ??= startOtlpReceiver({ keep: false });
  return sink;
}
