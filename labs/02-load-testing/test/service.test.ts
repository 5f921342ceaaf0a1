import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { numberAt, runLoad } from './load-cli.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), processes: ['api', 'optimizer'] });
});
afterAll(() => svc?.stopAll());

describe('against the service', () => {
  it('02.service-scenario a mixed upload scenario runs against the real service and reports its percentiles, with no error', async () => {
    const scenario = {
      request: { upload: { image: { width: 800, height: 600 }, wmText: 'load test', missRatio: 0.25 } },
      closed: { stages: [{ duration: '0s', target: 4 }, { duration: '2s', target: 4 }] },
      thresholds: ['errors<1%'],
    };
    const run = await runLoad(inject('tree'), scenario, { target: svc.apiUrl, timeoutMs: 25_000 });
    expect(run.code, run.output).toBe(0);
    expect(run.report, `no JSON report was written to the --json file\n${run.output}`).toBeDefined();
    expect(run.report!.statusCodes, 'every upload answered 200').toEqual({ '200': expect.any(Number) });
    expect(numberAt(run.report, 'requests/total'), 'uploads answered in 2 s on 4 connections').toBeGreaterThan(4);
    const [p50, p99] = [numberAt(run.report, 'latency/p50'), numberAt(run.report, 'latency/p99')];
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50!);
  });
});
