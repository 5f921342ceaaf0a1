import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { numberAt, runLoad } from './load-cli.ts';

// A server whose latency distribution is known by construction. Requests are numbered as
// they arrive; in every block of 200:
//   140 (70 %)   answer after  10 ms   → p50 lies here
//    48 (24 %)   answer after  60 ms   → p90 lies here
//    11 (5.5 %)  answer after 150 ms   → p99 lies here
//     1 (0.5 %)  answers after 400 ms  → p99.9 lies here
// and 4 of the 200 (2 %) answer 500. Each percentile sits well inside its band, so losing
// the few requests still in flight when the run stops cannot move it to the next one.
const BANDS = [
  { upTo: 140, delay: 10 },
  { upTo: 188, delay: 60 },
  { upTo: 199, delay: 150 },
  { upTo: 200, delay: 400 },
];
let server: Server;
let url: string;
let arrived = 0;
let answered500 = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const i = arrived++ % 200;
    const { delay } = BANDS.find((band) => i < band.upTo)!;
    const fail = i % 50 === 3;
    req.resume();
    setTimeout(() => {
      if (fail) answered500++;
      res.statusCode = fail ? 500 : 200;
      res.end(fail ? 'no' : 'ok');
    }, delay);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => server?.close());

describe('the report', () => {
  it('02.percentiles carries p50, p90, p99 and p99.9 from an HDR histogram, the throughput and the error rate', async () => {
    const scenario = {
      request: { method: 'GET', path: '/' },
      closed: { stages: [{ duration: '0s', target: 20 }, { duration: '2.5s', target: 20 }] },
    };
    const run = await runLoad(inject('tree'), scenario, { target: url, timeoutMs: 20_000 });
    expect(run.code, run.output).not.toBeNull();
    expect(run.report, `no JSON report was written to the --json file\n${run.output}`).toBeDefined();
    const at = (path: string) => numberAt(run.report, path);
    const [p50, p90, p99, p999] = ['latency/p50', 'latency/p90', 'latency/p99', 'latency/p99.9'].map(at);
    expect({ p50, p90, p99, 'p99.9': p999 }, 'latency.p50, .p90, .p99 and ["p99.9"] in ms').toEqual({
      p50: expect.any(Number),
      p90: expect.any(Number),
      p99: expect.any(Number),
      'p99.9': expect.any(Number),
    });
    // Each percentile is at least its band's delay and below the next band's.
    expect(p50!, 'p50 (70 % of answers take 10 ms)').toBeGreaterThanOrEqual(10);
    expect(p50!, 'p50 (70 % of answers take 10 ms)').toBeLessThan(60);
    expect(p90!, 'p90 (the 70th–94th percentiles take 60 ms)').toBeGreaterThanOrEqual(60);
    expect(p90!, 'p90 (the 70th–94th percentiles take 60 ms)').toBeLessThan(150);
    expect(p99!, 'p99 (the 94th–99.5th percentiles take 150 ms)').toBeGreaterThanOrEqual(150);
    expect(p99!, 'p99 (the 94th–99.5th percentiles take 150 ms)').toBeLessThan(400);
    expect(p999!, 'p99.9 (the slowest 0.5 % take 400 ms)').toBeGreaterThanOrEqual(400);

    // The histogram itself, in HdrHistogram's compressed base64 form, gives the same values.
    const encoded = (run.report!.latency as Record<string, unknown>).histogram;
    expect(typeof encoded, 'latency.histogram: the HDR histogram, as hdr-histogram-js encodeIntoCompressedBase64 writes it').toBe('string');
    const histogram = decodeFromCompressedBase64(encoded as string);
    // Recorded in µs or in ms: either way the p99 read back must match the report's.
    const scale = histogram.getValueAtPercentile(99) > 10 * p99! ? 1000 : 1;
    expect(histogram.getValueAtPercentile(99) / scale, 'p99 read from latency.histogram').toBeCloseTo(p99!, 0);
    expect(histogram.getValueAtPercentile(99.9) / scale, 'p99.9 read from latency.histogram').toBeCloseTo(p999!, 0);

    const rps = at('throughput/rps');
    const errorRate = at('requests/errorRate');
    const duration = at('duration');
    expect(rps, 'throughput.rps, requests per second').toBeGreaterThan(0);
    expect(duration, 'duration, the seconds of load').toBeGreaterThan(0);
    // The server counted what arrived; the report may leave out the ≤ 20 requests in flight at the stop.
    expect(Math.abs(rps! * duration! - arrived), `rps × duration = ${(rps! * duration!).toFixed(0)} should be about the ${arrived} requests the server saw`).toBeLessThanOrEqual(Math.max(25, arrived * 0.05));
    expect(errorRate, 'requests.errorRate, failed ÷ all, as a fraction (2 % of answers are 500)').toBeGreaterThan(0.015);
    expect(errorRate!).toBeLessThan(0.025);
    expect(answered500).toBeGreaterThan(0);
  });
});
