// 07.prometheus: a real Prometheus, private to this file (shared/stack/prometheus.ts: Debian's
// binary natively, its image in containers), scrapes the three admin ports every second. After
// a short load (misses, hits, rejections, spread over several scrapes so rate() sees the
// counters move), PromQL through its HTTP API must find every target up, a p95 per pipeline
// step from the histogram's buckets, and a non-empty answer to every panel of the Grafana
// dashboard docker-compose provisions (compose/grafana/dashboards/nws-watermark.json): a
// dashboard that draws nothing fails here, without Grafana.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { startPrometheus, type PrometheusServer, type PromSample } from '../../../shared/stack/prometheus.ts';
import { sendKnownUploads, sleep } from './metrics-helpers.ts';

const stack = inject('stack');
const DASHBOARD = join(import.meta.dirname, '..', '..', '..', 'compose', 'grafana', 'dashboards', 'nws-watermark.json');
let svc: RunningService;
let prometheus: PrometheusServer | undefined;
let notUp: string | undefined;

interface Panel {
  title: string;
  targets?: Array<{ expr?: string }>;
}

beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack });
  // Before Prometheus starts: every series already exists at its first scrape.
  await sendKnownUploads(svc, 'prometheus warm-up', { distinct: 2, repeats: 2, rejects: 1 });
  const targets = (['api', 'optimizer', 'worker'] as const).map((service) => ({ job: service, address: new URL(svc.adminUrl[service]).host, labels: { service } }));
  prometheus = await startPrometheus({ targets, scrapeInterval: '1s', provider: stack.provider });
  // The first scrape of a static target comes about 5.5 s after start. A target that stays
  // down is the first test's failure, not the setup's.
  notUp = await prometheus.waitForUp(20_000).then(
    () => undefined,
    (error: Error) => error.message,
  );
  // The load, across about four scrapes, so that rate() over the window sees every counter move.
  for (let i = 0; i < 4; i++) {
    await sendKnownUploads(svc, `prometheus load ${i}`, { distinct: 2, repeats: 2, rejects: 1 });
    await sleep(700);
  }
  // Two more scrapes after the last upload.
  await sleep(2_500);
}, 90_000);
afterAll(async () => {
  await prometheus?.stop();
  await svc?.stopAll();
});

async function query(expr: string): Promise<PromSample[]> {
  return prometheus!.query(expr).catch((error: Error) => expect.fail(`Prometheus refused ${expr}: ${error.message}`));
}

describe('a real Prometheus scraping the three admin ports', () => {
  it('07.prometheus scrapes the API, the optimizer and the worker (up == 1) and histogram_quantile(0.95, …) over pipeline_step_duration_seconds gives a number for redis, minio, optimizer and gzip', async () => {
    if (notUp) expect.fail(`${notUp}: every process must serve /metrics on its admin port`);
    const up = await query('up');
    for (const job of ['api', 'optimizer', 'worker']) {
      const sample = up.find((candidate) => candidate.metric.job === job);
      expect(sample?.value, `up{job="${job}"}: Prometheus could not scrape the ${job}'s /metrics on its admin port`).toBe(1);
    }
    const expr = 'histogram_quantile(0.95, sum by (le, step) (rate(pipeline_step_duration_seconds_bucket{job="api"}[1m])))';
    const p95 = await query(expr);
    for (const step of ['redis', 'minio', 'optimizer', 'gzip']) {
      const sample = p95.find((candidate) => candidate.metric.step === step);
      expect(sample, `${expr} has no result for step="${step}" (got: ${p95.map((s) => s.metric.step).join(', ') || 'nothing'}): a histogram's _bucket series with an le label, observed for every step`).toBeDefined();
      expect(Number.isFinite(sample!.value) && sample!.value > 0, `the p95 of step ${step} is ${sample!.value}: no observations in the last minute's buckets`).toBe(true);
      expect(sample!.value, `the p95 of step ${step} is ${sample!.value} s: the histogram's unit is seconds`).toBeLessThan(30);
    }
    const optimizerSteps = await query('histogram_quantile(0.95, sum by (le, step) (rate(pipeline_step_duration_seconds_bucket{job="optimizer"}[1m])))');
    expect(optimizerSteps.filter((sample) => Number.isFinite(sample.value)).length, "the optimizer's own steps (read, watermark) in Prometheus").toBeGreaterThanOrEqual(2);
  });

  it('07.prometheus every panel of the provisioned Grafana dashboard returns a non-empty result after a short load', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels?: Panel[] };
    const panels = dashboard.panels ?? [];
    expect(panels.length, `${DASHBOARD} has no panels`).toBeGreaterThan(0);
    const titles = panels.map((panel) => panel.title.toLowerCase()).join(' | ');
    for (const wanted of ['uploads/s', 'cache hit', 'p99', 'queue depth', 'p95 per']) {
      expect(titles, `the roadmap's dashboard has a panel "${wanted}"`).toContain(wanted);
    }
    const empty: string[] = [];
    for (const panel of panels) {
      const exprs = (panel.targets ?? []).map((target) => target.expr).filter((expr): expr is string => Boolean(expr));
      if (exprs.length === 0) empty.push(`"${panel.title}": no PromQL expression`);
      for (const expr of exprs) {
        const result = await query(expr);
        if (!result.some((sample) => Number.isFinite(sample.value))) empty.push(`"${panel.title}": ${expr} → ${result.length === 0 ? 'no series' : 'only NaN'}`);
      }
    }
    expect(empty, `dashboard panels that would draw nothing:\n${empty.join('\n')}`).toEqual([]);
  });
});
