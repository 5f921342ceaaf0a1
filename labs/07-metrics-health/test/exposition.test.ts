// 07.exposition: each process's admin port serves /metrics in Prometheus's text format, as
// Prometheus's own linter (promtool check metrics) reads it, with the series the lesson names
// and the right types: counters, histograms with real buckets (the image sizes' exponential),
// gauges, and Node's default metrics. One upload first, so the histograms hold observations;
// and one scrape before it, where every uploads_total{status} must already be there at 0
// (a series that appears with its first increment: rate() never sees that increment).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { bucketBounds, family, promtool, scrape, sendKnownUploads, type Scrape } from './metrics-helpers.ts';

const stack = inject('stack');
let svc: RunningService;
const scrapes = new Map<ProcessName, Scrape>();
/** The API's /metrics before its first upload. */
let fresh: Scrape;

beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack });
  fresh = await scrape(svc, 'api');
  await sendKnownUploads(svc, 'exposition', { distinct: 1, repeats: 1, rejects: 1 });
  for (const name of ['api', 'optimizer', 'worker'] as const) scrapes.set(name, await scrape(svc, name));
}, 60_000);
afterAll(() => svc?.stopAll());

function expectType(what: string, metrics: Scrape, name: string, type: string): void {
  const found = family(metrics, name, what);
  expect(found.type, `${name} in the ${what}'s /metrics is a ${found.type}, not a ${type}`).toBe(type);
  expect(found.help.trim().length, `${name} has no # HELP text: say what it counts, and in which unit`).toBeGreaterThan(0);
}

describe('GET /metrics on the admin ports', () => {
  it('07.exposition the API, the optimizer and the worker serve Prometheus text that promtool check metrics accepts', async () => {
    for (const [name, metrics] of scrapes) {
      expect(metrics.contentType, `the ${name}'s /metrics Content-Type`).toMatch(/^text\/plain/);
      // Exit 1: not parseable; 3: lint problems. prom-client's own defaults carry three that
      // are not ours (nodejs_active_handles_total and its siblings are gauges named _total).
      const { code, output } = await promtool(metrics.text);
      const problems = output.split('\n').filter((line) => line.trim() !== '' && !/^(nodejs|process)_/.test(line));
      expect(code === 0 || (code === 3 && problems.length === 0), `promtool check metrics refused the ${name}'s /metrics (exit ${code}):\n${problems.join('\n').slice(0, 800)}`).toBe(true);
      expectType(name, metrics, 'pipeline_step_duration_seconds', 'histogram');
      // Node's defaults: event-loop lag, GC pauses, heap.
      expectType(name, metrics, 'nodejs_eventloop_lag_seconds', 'gauge');
      expectType(name, metrics, 'nodejs_gc_duration_seconds', 'histogram');
      expectType(name, metrics, 'nodejs_heap_size_used_bytes', 'gauge');
    }
  });

  it('07.exposition the API holds uploads_total{status}, the cache counters, the step and size histograms with their buckets, and the breaker and queue gauges', () => {
    const api = scrapes.get('api')!;
    expectType('API', api, 'uploads_total', 'counter');
    const statuses = new Set(family(api, 'uploads_total', 'API').samples.map((sample) => sample.labels.status));
    expect([...statuses].sort(), 'uploads_total must carry a status label (success for a 200, rejected for a 4xx…)').toEqual(expect.arrayContaining(['success', 'rejected']));
    expectType('API', api, 'redis_cache_hits_total', 'counter');
    expectType('API', api, 'redis_cache_misses_total', 'counter');
    expectType('API', api, 'optimizer_breaker_state', 'gauge');
    expectType('API', api, 'rabbitmq_queue_depth', 'gauge');

    const steps = family(api, 'pipeline_step_duration_seconds', 'API');
    const stepBounds = bucketBounds(steps, 'pipeline_step_duration_seconds', { step: 'redis' });
    expect(stepBounds.length, `pipeline_step_duration_seconds{step="redis"} has ${stepBounds.length} finite bucket(s) (${stepBounds.join(', ')}): a quantile can only be told apart at a bucket boundary; give it buckets across the steps' range`).toBeGreaterThanOrEqual(8);
    expect(stepBounds[0]!, 'the smallest step bucket must be at most 5 ms: a Redis call on loopback takes well under a millisecond').toBeLessThanOrEqual(0.005);
    expect(stepBounds.at(-1)!, 'the largest step bucket must reach at least 2.5 s: an optimizer call on a big photo takes seconds').toBeGreaterThanOrEqual(2.5);

    expectType('API', api, 'image_size_bytes', 'histogram');
    const sizes = family(api, 'image_size_bytes', 'API');
    const types = new Set(sizes.samples.map((sample) => sample.labels.type));
    expect([...types].sort(), 'image_size_bytes must carry type="input" (the upload) and type="output" (the answer)').toEqual(expect.arrayContaining(['input', 'output']));
    const bounds = bucketBounds(sizes, 'image_size_bytes', { type: 'input' });
    expect(bounds.length, `image_size_bytes has ${bounds.length} finite buckets: sizes span six orders of magnitude`).toBeGreaterThanOrEqual(10);
    const ratios = bounds.slice(1).map((bound, i) => bound / bounds[i]!);
    for (const ratio of ratios) {
      expect(Math.abs(ratio - 2), `image_size_bytes's buckets (${bounds.join(', ')}) must be exponential, each twice the one before (exponentialBuckets(1024, 2, 20))`).toBeLessThan(1e-9);
    }
    expect(bounds[0], 'image_size_bytes starts at 1 KiB').toBe(1024);
  });

  it('07.exposition the API serves uploads_total{status} at 0 for every status (success, queued, rejected, error) before its first upload', () => {
    const found = family(fresh, 'uploads_total', 'API before any upload');
    for (const status of ['success', 'queued', 'rejected', 'error']) {
      const sample = found.samples.find((candidate) => candidate.name === 'uploads_total' && candidate.labels.status === status);
      expect(sample, `uploads_total{status="${status}"} is missing from /metrics before the first upload: create every label value at 0 at start-up (counter.inc({ status }, 0)), or rate() misses the first increment of each`).toBeDefined();
      expect(sample!.value, `uploads_total{status="${status}"} before any upload`).toBe(0);
    }
  });
});
