import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { numberAt, runLoad } from './load-cli.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';

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
let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer((n) => {
    const i = n % 200;
    return { delayMs: BANDS.find((band) => i < band.upTo)!.delay, status: i % 50 === 3 ? 500 : 200 };
  });
});
afterAll(() => server?.close());

/** The last number printed after `label` ("p99 162", "p99: 162 ms"): the report comes after the progress lines. */
function textValue(output: string, label: string): number | undefined {
  const pattern = new RegExp(`\\b${label.replace('.', '\\.')}(?![.\\d])\\s*[:=]?\\s*(\\d[\\d,]*(?:\\.\\d+)?)`, 'g');
  const last = [...output.matchAll(pattern)].at(-1);
  return last ? Number(last[1]!.replace(/,/g, '')) : undefined;
}

const KEYS = ['p50', 'p90', 'p99', 'p99.9'] as const;

describe('the report', () => {
  it('02.percentiles carries p50, p90, p99 and p99.9 from an HDR histogram, the throughput and the error rate', async () => {
    const scenario = {
      request: { method: 'GET', path: '/' },
      closed: { stages: [{ duration: '0s', target: 20 }, { duration: '2.5s', target: 20 }] },
    };
    const run = await runLoad(inject('tree'), scenario, { target: server.url, timeoutMs: 20_000 });
    expect(run.report, `no JSON report was written to the --json file\n${run.output}`).toBeDefined();
    const at = (path: string) => numberAt(run.report, path);
    const json = Object.fromEntries(KEYS.map((key) => [key, at(`latency/${key}`)]));
    expect(json, 'latency.p50, .p90, .p99 and ["p99.9"] in ms').toEqual(Object.fromEntries(KEYS.map((key) => [key, expect.any(Number)])));
    const { p50, p90, p99, 'p99.9': p999 } = json as Record<(typeof KEYS)[number], number>;
    expect([p50, p90, p99, p999], 'p50 ≤ p90 ≤ p99 ≤ p99.9').toEqual([p50, p90, p99, p999].sort((a, b) => a - b));
    // Each percentile is at least its band's delay and below the next band's.
    expect(p50, 'p50 (70 % of answers take 10 ms)').toBeGreaterThanOrEqual(10);
    expect(p50, 'p50 (70 % of answers take 10 ms)').toBeLessThan(60);
    expect(p90, 'p90 (the 70th–94th percentiles take 60 ms)').toBeGreaterThanOrEqual(60);
    expect(p90, 'p90 (the 70th–94th percentiles take 60 ms)').toBeLessThan(150);
    expect(p99, 'p99 (the 94th–99.5th percentiles take 150 ms)').toBeGreaterThanOrEqual(150);
    expect(p99, 'p99 (the 94th–99.5th percentiles take 150 ms)').toBeLessThan(400);
    expect(p999, 'p99.9 (the slowest 0.5 % take 400 ms)').toBeGreaterThanOrEqual(400);
    expect(p999, 'p99.9 (the slowest 0.5 % take 400 ms, nothing takes longer)').toBeLessThan(1_000);

    // The histogram itself, in HdrHistogram's compressed base64 form, holds the answers and gives the same values.
    const encoded = (run.report!.latency as Record<string, unknown>).histogram;
    expect(typeof encoded, 'latency.histogram: the HDR histogram, as hdr-histogram-js encodeIntoCompressedBase64 writes it').toBe('string');
    const histogram = decodeFromCompressedBase64(encoded as string);
    // The report may leave out the ≤ 20 requests in flight at the stop.
    const count = `the server saw ${server.arrived} requests`;
    expect(histogram.totalCount, `values in latency.histogram; ${count}`).toBeLessThanOrEqual(server.arrived);
    expect(histogram.totalCount, `values in latency.histogram; ${count}`).toBeGreaterThanOrEqual(server.arrived - 20);
    // Recorded in µs or in ms: either way the percentiles read back must match the report's.
    const scale = histogram.getValueAtPercentile(99) > 10 * p99 ? 1000 : 1;
    for (const key of KEYS) {
      expect(histogram.getValueAtPercentile(Number(key.slice(1))) / scale, `${key} read from latency.histogram vs latency.${key}`).toBeCloseTo(json[key]!, 0);
    }

    // The text report shows the same percentiles.
    for (const key of KEYS) {
      const shown = textValue(run.output, key);
      expect(shown, `the text report should show "${key} <ms>"; latency.${key} is ${json[key]}\n${run.output}`).toBeDefined();
      expect(Math.abs(shown! - json[key]!), `${key} in the text report (${shown}) vs latency.${key} (${json[key]})`).toBeLessThanOrEqual(Math.max(0.6, json[key]! * 0.02));
    }

    const rps = at('throughput/rps');
    const total = at('requests/total');
    const errorRate = at('requests/errorRate');
    const duration = at('duration');
    expect(rps, 'throughput.rps, requests per second').toBeGreaterThan(0);
    expect(duration, 'duration, the seconds of load').toBeGreaterThan(0);
    expect(total, `requests.total; ${count}`).toBeLessThanOrEqual(server.arrived);
    expect(total, `requests.total; ${count}`).toBeGreaterThanOrEqual(server.arrived - 20);
    expect(Math.abs(rps! * duration! - server.arrived), `rps × duration = ${(rps! * duration!).toFixed(0)} should be about the ${server.arrived} requests the server saw`).toBeLessThanOrEqual(Math.max(25, server.arrived * 0.05));
    // Failures are 50 requests apart, so the ≤ 20 left out at the stop hold at most one.
    const { failed, arrived } = server;
    const share = failed / arrived;
    const rateTruth = `the server failed ${failed} of ${arrived} requests (${share.toFixed(4)})`;
    expect(errorRate, `requests.errorRate, a fraction; ${rateTruth}`).toBeGreaterThanOrEqual((failed - 1) / arrived - 0.0005);
    expect(errorRate, `requests.errorRate, a fraction; ${rateTruth}`).toBeLessThanOrEqual(failed / (arrived - 20) + 0.0005);
    const shownRps = [...run.output.matchAll(/(\d[\d,]*(?:\.\d+)?)\s*(?:\/s|req\/s|rps)\b/g)].map((match) => Number(match[1]!.replace(/,/g, '')));
    expect(shownRps.some((value) => Math.abs(value - rps!) <= Math.max(1, rps! * 0.02)), `the text report should show the throughput, ${rps} /s\n${run.output}`).toBe(true);
    const shownRate = run.output.match(/(\d+(?:\.\d+)?)\s*%/g)?.map((text) => parseFloat(text)) ?? [];
    expect(shownRate.some((value) => Math.abs(value - share * 100) < 0.5), `the text report should show the error rate, about ${(share * 100).toFixed(2)} %\n${run.output}`).toBe(true);
  });
});
