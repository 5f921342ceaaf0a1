import { afterAll, describe, expect, inject, it } from 'vitest';
import { numberAt, runLoad } from './load-cli.ts';
import { startStallingServer, type StallingServer } from './stalling.ts';

// Two servers that freeze for `stallMs` every `periodMs`, timed from their first request, and
// whose own timing never shows it (see stalling-server.ts). Each run lasts whole periods, so a
// share `stallMs / periodMs` of the timetable falls inside a freeze (a quarter, a third):
// those users wait up to `stallMs`, uniformly. An honest open-model tool reports that wait;
// one that times a request from when it got a socket sees only the `maxConnections` requests
// stuck on the wire during each freeze, a few per cent, and its p90 stays low.
const SETTINGS = [
  { stallMs: 200, periodMs: 800, rate: 100, seconds: 1.6 },
  { stallMs: 700, periodMs: 2000, rate: 60, seconds: 2 },
];
const MAX_CONNECTIONS = 4;

const servers: StallingServer[] = [];
afterAll(() => servers.forEach((server) => server.stop()));

describe('coordinated omission', () => {
  for (const { stallMs, periodMs, rate, seconds } of SETTINGS) {
    it(`02.coordinated-omission against a server that stalls ${stallMs} ms every ${periodMs} ms, the open model's p90 and p99 show the stall while its p50 and the server's own median stay low`, async () => {
      const server = await startStallingServer(stallMs, periodMs, 'first-request');
      servers.push(server);
      const scenario = { request: { method: 'GET', path: '/' }, open: { rate, duration: `${seconds}s`, maxConnections: MAX_CONNECTIONS } };
      const run = await runLoad(inject('tree'), scenario, { target: server.url, timeoutMs: 20_000 });
      const own = await server.stats();
      const planned = rate * seconds;
      // An open model sends rate × duration requests whatever the answers; a closed one sends
      // as many as the answers allow (thousands here, or a handful during a stall).
      expect(own.count, `requests the server answered: ${rate}/s for ${seconds} s is ${planned}\n${run.output}`).toBeGreaterThanOrEqual(planned * 0.95);
      expect(own.count, `requests the server answered: ${rate}/s for ${seconds} s is ${planned}`).toBeLessThanOrEqual(planned * 1.05);
      expect(own.maxOpen, `connections the server had open at once, with "maxConnections": ${MAX_CONNECTIONS}`).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(own.median, 'the server\'s own median service time (ms)').toBeLessThan(50);
      expect(run.report, `no JSON report was written to the --json file\n${run.output}`).toBeDefined();
      const total = numberAt(run.report, 'requests/total');
      expect(total, `requests.total: the server answered ${own.count}, and the tool waits for every request in flight`).toBeGreaterThanOrEqual(own.count - 1);
      expect(total!).toBeLessThanOrEqual(own.count);
      const [p50, p90, p99] = ['latency/p50', 'latency/p90', 'latency/p99'].map((path) => numberAt(run.report, path));
      const seen = `the report says p50 ${p50}, p90 ${p90}, p99 ${p99} ms (each should be timed from its request's intended send); the server's own median was ${own.median.toFixed(2)} ms`;
      expect(p50, `latency.p50: most requests fall between the freezes and answer at once; ${seen}`).toBeLessThan(stallMs / 2);
      expect(p90, `latency.p90: over a tenth of the requests wait inside a ${stallMs} ms freeze; ${seen}`).toBeGreaterThanOrEqual(stallMs * 0.4);
      expect(p99, `latency.p99: the slowest requests waited almost the whole ${stallMs} ms freeze; ${seen}`).toBeGreaterThanOrEqual(stallMs * 0.6);
      expect(p99, `latency.p99: no request waits much longer than the ${stallMs} ms freeze; ${seen}`).toBeLessThanOrEqual(stallMs * 1.25 + 150);
    });
  }
});
