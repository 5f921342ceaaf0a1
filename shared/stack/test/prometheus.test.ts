import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPrometheus, scrapeConfig, type PrometheusServer } from '../prometheus.ts';
import { guarded } from '../reaper.ts';

// The run's own provider starts it: Debian's binary in the native part, the image on the
// host's network in the containers part. The target is a loopback-only /metrics, like the
// service's admin ports.
const provider = inject('stack').provider;

describe(`a private Prometheus (${provider})`, () => {
  let target: Server;
  let address: string;
  let prometheus: PrometheusServer;
  let scrapes = 0;

  beforeAll(async () => {
    target = createServer((req, res) => {
      scrapes += 1;
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(`# TYPE demo_total counter\ndemo_total{kind="a"} 3\ndemo_total{kind="b"} 4\n`);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({ targets: [{ job: 'demo', address, labels: { service: 'demo' } }], provider });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    target?.close();
  }, 30_000);

  it('scrapes a loopback target and answers PromQL through its HTTP API', async () => {
    await prometheus.waitForUp();
    expect(scrapes).toBeGreaterThan(0);
    const samples = await prometheus.query('sum by (service) (demo_total)');
    expect(samples).toEqual([{ metric: { service: 'demo' }, value: 7 }]);
    expect(await prometheus.query('scalar(up{job="demo"})')).toEqual([{ metric: {}, value: 1 }]);
  }, 30_000);

  it('refuses bad PromQL with its own error', async () => {
    await expect(prometheus.query('sum(')).rejects.toThrow(/Prometheus refused .*parse error/);
  });

  it('names a target it cannot scrape', async () => {
    const dead = await startPrometheus({ targets: [{ job: 'dead', address: '127.0.0.1:1' }], provider });
    try {
      await expect(dead.waitForUp(8_000)).rejects.toThrow(/127\.0\.0\.1:1: (down|unknown)/);
    } finally {
      await dead.stop();
    }
  }, 90_000);

  it('leaves no process or temp dir behind once stopped', async () => {
    const other = await startPrometheus({ targets: [{ job: 'demo', address }], provider });
    const port = new URL(other.url).port;
    await other.stop();
    expect(execFileSync('ps', ['-A', '-o', 'args='], { encoding: 'utf8' })).not.toContain(`127.0.0.1:${port}`);
    expect(guarded().dirs.filter((dir) => dir.includes('nws-prometheus-'))).toHaveLength(provider === 'native' ? 1 : 0); // the suite's own
    await expect(fetch(`${other.url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 90_000);
});

describe('scrapeConfig', () => {
  it('groups targets by job and keeps their labels', () => {
    const config = JSON.parse(scrapeConfig([{ job: 'nws', address: 'a:1', labels: { service: 'api' } }, { job: 'nws', address: 'b:2' }], '2s')) as unknown;
    expect(config).toEqual({
      global: { scrape_interval: '2s', scrape_timeout: '2s' },
      scrape_configs: [{ job_name: 'nws', static_configs: [{ targets: ['a:1'], labels: { service: 'api' } }, { targets: ['b:2'], labels: {} }] }],
    });
  });
});
