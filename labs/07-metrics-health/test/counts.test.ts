// 07.exact-counts and 07.step-histogram: the counters and the step histogram against what the
// test knows of its own uploads, not against anything the service says about them. Each round
// sends n new pictures (cache misses: answered 200, their results cached), k repeats of them
// (cache hits) and r files that are not images (rejected 4xx), with n, k and r drawn per run,
// twice with different sizes; the results Redis holds under the test's key prefix must have
// grown by n (the misses really were misses). The counters must move by exactly those numbers,
// and the histogram by one observation per step the API ran, with durations that add up to
// what the API's own Server-Timing reported (seconds, not milliseconds).
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tinyImage } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { cachedResults, scrape, sendKnownUploads, valueOf, type Scrape, type SentUpload } from './metrics-helpers.ts';

const stack = inject('stack');
let svc: RunningService;

interface Round {
  counts: { distinct: number; repeats: number; rejects: number };
  sent: SentUpload[];
  api: { before: Scrape; after: Scrape };
  optimizer: { before: Scrape; after: Scrape };
  cached: { before: number; after: number };
}
const rounds: Round[] = [];
let fixtureBytes = 0;

beforeAll(async () => {
  fixtureBytes = (await tinyImage()).length;
  svc = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'] });
  // Two sizes that differ, so no constant and no fixed ratio fits both.
  const first = { distinct: 2 + randomInt(3), repeats: 2 + randomInt(4), rejects: 1 + randomInt(2) };
  const second = { distinct: first.distinct + 1 + randomInt(3), repeats: first.repeats + 2 + randomInt(3), rejects: first.rejects + 1 };
  for (const [i, counts] of [first, second].entries()) {
    const before = { api: await scrape(svc, 'api'), optimizer: await scrape(svc, 'optimizer'), cached: await cachedResults(stack.redis.url, svc.prefix) };
    const sent = await sendKnownUploads(svc, `counts round ${i + 1}`, counts);
    const after = { api: await scrape(svc, 'api'), optimizer: await scrape(svc, 'optimizer'), cached: await cachedResults(stack.redis.url, svc.prefix) };
    rounds.push({ counts, sent, api: { before: before.api, after: after.api }, optimizer: { before: before.optimizer, after: after.optimizer }, cached: { before: before.cached, after: after.cached } });
  }
}, 90_000);
afterAll(() => svc?.stopAll());

function delta(pair: { before: Scrape; after: Scrape }, name: string, labels: Record<string, string> = {}): number {
  return Math.round((valueOf(pair.after, name, labels) - valueOf(pair.before, name, labels)) * 1e9) / 1e9;
}

function describeRound({ counts }: Round): string {
  return `${counts.distinct} new pictures, ${counts.repeats} repeats (cache hits), ${counts.rejects} files that are not images`;
}

describe('the counters after uploads whose outcomes the test knows', () => {
  it('07.exact-counts uploads_total{status}, redis_cache_hits_total and redis_cache_misses_total move by exactly the uploads sent, at two run sizes', () => {
    for (const round of rounds) {
      const { distinct, repeats, rejects } = round.counts;
      const what = describeRound(round);
      expect(round.cached.after - round.cached.before, `Redis holds ${round.cached.after - round.cached.before} new results after ${what}: each new picture is a miss whose result is cached`).toBe(distinct);
      expect(delta(round.api, 'uploads_total', { status: 'success' }), `uploads_total{status="success"} after ${what} (all answered 200)`).toBe(distinct + repeats);
      expect(delta(round.api, 'uploads_total', { status: 'rejected' }), `uploads_total{status="rejected"} after ${what} (answered 4xx)`).toBe(rejects);
      expect(delta(round.api, 'uploads_total', { status: 'error' }), `uploads_total{status="error"} after ${what}: nothing failed`).toBe(0);
      expect(delta(round.api, 'redis_cache_hits_total'), `redis_cache_hits_total after ${what}`).toBe(repeats);
      expect(delta(round.api, 'redis_cache_misses_total'), `redis_cache_misses_total after ${what} (a rejected file never reaches the cache)`).toBe(distinct);
      const inputs = delta(round.api, 'image_size_bytes_count', { type: 'input' });
      expect(inputs, `image_size_bytes_count{type="input"} after ${what}: one per image read`).toBe(distinct + repeats);
      expect(delta(round.api, 'image_size_bytes_count', { type: 'output' }), `image_size_bytes_count{type="output"} after ${what}: one per image the optimizer made`).toBe(distinct);
      // Every upload here is the same fixture (the watermark text varies), so its bytes are known.
      expect(delta(round.api, 'image_size_bytes_sum', { type: 'input' }), `image_size_bytes_sum{type="input"} after ${what}: the ${distinct + repeats} images' bytes (${fixtureBytes} each): observe the upload's length`).toBe((distinct + repeats) * fixtureBytes);
      const bytesOut = round.sent.filter((sent) => sent.kind === 'new').reduce((sum, sent) => sum + sent.result.body.length, 0);
      expect(delta(round.api, 'image_size_bytes_sum', { type: 'output' }), `image_size_bytes_sum{type="output"} after ${what}: the ${distinct} watermarked answers the optimizer made, ${bytesOut} bytes as the test received them`).toBe(bytesOut);
    }
  });

  it('07.step-histogram pipeline_step_duration_seconds holds one observation per redis, minio, optimizer and gzip step the API ran, summing to its Server-Timing in seconds; the optimizer observes its own steps', () => {
    for (const round of rounds) {
      const { distinct, repeats, rejects } = round.counts;
      const what = describeRound(round);
      // A miss: Redis GET, MinIO, the optimizer, Redis SET. A hit: Redis GET. Each JSON answer
      // (the rejections) is gzipped; a JPEG is not.
      const expected: Record<string, number> = { redis: 2 * distinct + repeats, minio: distinct, optimizer: distinct, gzip: rejects };
      for (const [step, count] of Object.entries(expected)) {
        const observed = delta(round.api, 'pipeline_step_duration_seconds_count', { step });
        expect(observed, `pipeline_step_duration_seconds_count{step="${step}"} moved by ${observed} after ${what}; the API ran that step ${count} times`).toBe(count);
        const timed = round.sent.reduce((sum, sent) => sum + (sent.timing.get(step) ?? 0), 0) / 1000;
        const sum = delta(round.api, 'pipeline_step_duration_seconds_sum', { step });
        // Server-Timing carries the durations measureStep measured, to 0.1 ms, the header
        // rounding each entry by at most 0.05 ms: below, 0.1 ms of slack per run and no more,
        // so whole milliseconds (floored) fail however long the steps take on a busy machine.
        expect(sum, `pipeline_step_duration_seconds_sum{step="${step}"} is ${sum} s; the API's Server-Timing says ${timed.toFixed(4)} s for those ${count} runs (observe seconds, the measured duration)`).toBeLessThanOrEqual(timed * 1.1 + 0.002);
        expect(sum, `pipeline_step_duration_seconds_sum{step="${step}"} is ${sum} s; the API's Server-Timing says ${timed.toFixed(4)} s for those ${count} runs (observe the duration measured, not rounded down)`).toBeGreaterThanOrEqual(timed - 0.0001 * count);
      }
      for (const step of ['read', 'watermark']) {
        const observed = delta(round.optimizer, 'pipeline_step_duration_seconds_count', { step });
        expect(observed, `the optimizer's pipeline_step_duration_seconds_count{step="${step}"} after ${what}: it ran ${distinct} images`).toBe(distinct);
      }
    }
  });
});
