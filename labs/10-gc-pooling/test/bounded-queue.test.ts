// 10.bounded-queue: 300 optimize requests at once, straight to an optimizer with two workers,
// at two queue limits. sharp's pipelines running at once are counted around sharp itself (the
// harness's probe), the answers on the wire, the optimizer's memory from /proc. The memory
// ceiling's reference is the same tree with its queue limit out of reach (100 000) under the
// same burst in the same run: the starter holds its waiting uploads only weakly (BUG #3), so
// its memory is no unbounded queue's.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { optimize, rssBytes, sharpOf, sleep, type Answer } from './pool-helpers.ts';

const stack = inject('stack');
const REQUESTS = 300;
const WORKERS = 2;
const UNBOUNDED = 100_000;

interface Burst {
  answers: Answer[];
  rssGrowth: number;
  maxRunning: number;
}

describe('a burst of 300 optimize requests', () => {
  const services: RunningService[] = [];
  let picture: Buffer;
  beforeAll(async () => {
    picture = await photoJpeg(2000, 1500);
  }, 60_000);
  afterAll(() => Promise.all(services.map((svc) => svc.stopAll())));

  /** Sends the burst and samples the optimizer's RSS until every request is answered, or (an unbounded queue would take a while to drain) read. */
  async function burst(tree: string, queueLimit: number, until: 'answered' | 'read'): Promise<Burst> {
    const svc = await startService({
      tree,
      stack,
      processes: ['optimizer'],
      probe: true,
      envFor: { optimizer: { OPTIMIZER_CONCURRENCY: String(WORKERS), OPTIMIZER_QUEUE_LIMIT: String(queueLimit), NWS_PROBE_SHARP: '1' } },
    });
    services.push(svc);
    try {
      // Two images first: sharp and the code paths are loaded before the baseline is taken.
      for (let i = 0; i < 2; i++) await optimize(svc.optimizerUrl, picture);
      const pid = svc.pid('optimizer')!;
      const before = rssBytes(pid);
      let peak = before;
      const answers: Answer[] = [];
      const sent = Array.from({ length: REQUESTS }, () => optimize(svc.optimizerUrl, picture, {}, 90_000).then((answer) => answers.push(answer)));
      // Read: every request's body taken in (two were the warm-up's), or the request refused.
      const reads = () => (svc.logs('optimizer').match(/"step":"read"/g) ?? []).length - 2;
      const over = () => (until === 'answered' ? answers.length === REQUESTS : reads() + answers.filter((answer) => answer.status !== 200).length >= REQUESTS);
      const deadline = Date.now() + 90_000;
      while (!over() && Date.now() < deadline) {
        peak = Math.max(peak, rssBytes(pid));
        await sleep(10);
      }
      peak = Math.max(peak, rssBytes(pid));
      expect(over(), `${tree}: the burst did not end within 90 s (${answers.length} answered)`).toBe(true);
      if (until === 'answered') await Promise.all(sent);
      const { maxRunning } = await sharpOf(svc.probeUrl.optimizer);
      return { answers, rssGrowth: peak - before, maxRunning };
    } finally {
      await svc.stopAll();
    }
  }

  it('10.bounded-queue 300 requests at once: two images in sharp at most, the excess refused with 503 + Retry-After past the queue limit, half the memory growth of an unbounded queue', { timeout: 240_000 }, async () => {
    const small = await burst(inject('tree'), 4, 'answered');
    const large = await burst(inject('tree'), 16, 'answered');
    const unbounded = await burst(inject('tree'), UNBOUNDED, 'read');
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    const count = (answers: Answer[], status: number) => answers.filter((answer) => answer.status === status).length;
    console.log(`burst of ${REQUESTS}: no limit RSS +${mib(unbounded.rssGrowth)}; limit 4: ${count(small.answers, 200)}×200, ${count(small.answers, 503)}×503, RSS +${mib(small.rssGrowth)}, ${small.maxRunning} in sharp at most; limit 16: ${count(large.answers, 200)}×200, ${count(large.answers, 503)}×503, RSS +${mib(large.rssGrowth)}, ${large.maxRunning} in sharp at most`);
    for (const [limit, run] of [[4, small], [16, large]] as const) {
      const other = run.answers.filter((answer) => answer.status !== 200 && answer.status !== 503);
      expect(other.map((answer) => `${answer.status} ${answer.body.toString().slice(0, 120)}`), `queue limit ${limit}: every request is answered 200 or 503`).toEqual([]);
      expect(run.maxRunning, `queue limit ${limit}: images in sharp at once, counted around sharp`).toBeGreaterThan(0);
      expect(run.maxRunning, `queue limit ${limit}: images in sharp at once, counted around sharp`).toBeLessThanOrEqual(WORKERS);
      expect(count(run.answers, 503), `queue limit ${limit}: ${REQUESTS} requests for ${WORKERS} workers and ${limit} places must see refusals`).toBeGreaterThan(0);
      const badRetry = run.answers.filter((answer) => answer.status === 503 && !/^[1-9]\d*$/.test(answer.retryAfter ?? ''));
      expect(badRetry.length, `queue limit ${limit}: 503s without a Retry-After of whole seconds (one says ${JSON.stringify(badRetry[0]?.retryAfter)})`).toBe(0);
      expect(count(run.answers, 200), `queue limit ${limit}: the workers and the queue's places are all served before anything is refused`).toBeGreaterThanOrEqual(WORKERS + limit);
      // Admitted at once: the 200s beyond those already received when the last refusal came
      // (their places were freed and taken again during the burst). A place freed just before
      // its 200 reaches the client may be taken first: one per worker of margin.
      const lastRefusal = run.answers.findLastIndex((answer) => answer.status === 503);
      const servedDuringBurst = count(run.answers.slice(0, lastRefusal), 200);
      expect(count(run.answers, 200) - servedDuringBurst, `queue limit ${limit}: requests admitted at once beyond the ${WORKERS} workers and ${limit} places (${servedDuringBurst} answered 200 while the burst was still refused)`).toBeLessThanOrEqual(WORKERS + limit + WORKERS);
    }
    expect(small.rssGrowth, `with the queue limit at 4 the optimizer's RSS grew by ${mib(small.rssGrowth)} under the burst; with no limit in reach, by ${mib(unbounded.rssGrowth)}`).toBeLessThanOrEqual(unbounded.rssGrowth / 2);
  });
});
