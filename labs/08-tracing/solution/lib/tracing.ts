// OpenTelemetry for the three processes: one NodeSDK per process, started by
// lib/tracing-preload.ts before the app is imported.
//
// - Export: OTLP over HTTP, JSON encoding (exporter-trace-otlp-http), to
//   OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces; default http://localhost:4318, Jaeger's OTLP
//   port in docker-compose.yml). Spans are batched (OTEL_BSP_SCHEDULE_DELAY, 5 000 ms by default)
//   so a request never waits on the exporter.
// - Sampling: the standard variables, e.g. OTEL_TRACES_SAMPLER=parentbased_traceidratio
//   OTEL_TRACES_SAMPLER_ARG=0.1 keeps one trace in ten; parent-based, so a trace is kept or
//   dropped as a whole in the three processes.
// - Propagation: W3C traceparent/tracestate (the SDK's default). Over HTTP the http
//   instrumentation reads it on the way in; the optimizer call goes through fetch, which it
//   does not cover, so lib/optimizer-client.ts injects it. Over AMQP the amqplib
//   instrumentation writes it into the message's headers and reads it back in the worker.
// - Traces only: NodeSDK would also start an OTLP metrics exporter (which delays every exit by
//   about 8 s) and a logs exporter; metrics are lab 07's prom-client, logs are pino's.
// OTEL_SDK_DISABLED=true turns all of it off (the lesson's overhead figures use it).
import { basename, dirname } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** api, optimizer or worker: the folder of the entry file (api/server.ts…), unless OTEL_SERVICE_NAME says. */
export function serviceName(): string {
  return process.env.OTEL_SERVICE_NAME || basename(dirname(process.argv[1] ?? 'unknown/x'));
}

export function startTracing(): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: serviceName(),
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // The request id on the server spans, so `npm run trace -- <request-id>` finds the trace.
        headersToSpanAttributes: { server: { requestHeaders: ['x-request-id'], responseHeaders: ['x-request-id'] } },
        // The admin port (profiles, metrics) is not traffic worth a trace.
        ignoreIncomingRequestHook: (req) => isAdminPort(req.socket.localPort),
      }),
      new ExpressInstrumentation(),
      new IORedisInstrumentation(),
      new AmqplibInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}

const adminPorts = new Set(['API_ADMIN_PORT', 'OPTIMIZER_ADMIN_PORT', 'WORKER_ADMIN_PORT'].map((name) => Number(process.env[name])).filter((port) => port > 0));

function isAdminPort(port: number | undefined): boolean {
  return port !== undefined && adminPorts.has(port);
}
