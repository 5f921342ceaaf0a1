// 06.jitter: the delays the worker gives its retries, read from RabbitMQ: every retry goes
// through the retry exchange, where a queue of the test's own receives a copy with the
// per-message expiration the broker will enforce and the x-attempt header. Each job is
// published with the attempt number under test and fails at once (its object key is empty, so
// it does not decode); its first retry on the exchange is the one measured.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { RunningService } from '../../../shared/harness/service.ts';
import { coefficientOfVariation, dropQueues, mean, publishJobs, startWorkers, tapRetries, until, type Broker, type Tapped, type Workers } from './retry-helpers.ts';

const stack = inject('stack');
const BASE_MS = 2_000;
const CAP_MS = 16_000;
const ceiling = (attempt: number) => Math.min(CAP_MS, BASE_MS * 2 ** (attempt - 1));

let workers: Workers;
let svc: RunningService;
let broker: Broker;
const objectKey = ''; // not a job the worker can do: it fails at once, before any server is asked

// Each test gets its own worker and queue: the jobs of one keep coming back (and failing) and
// must not slow the other down.
beforeEach(async () => {
  workers = await startWorkers(inject('tree'), stack, 4, { RETRY_DELAY_MS: String(BASE_MS), RETRY_MAX_DELAY_MS: String(CAP_MS) });
  svc = workers.svc;
  broker = await tapRetries(stack, svc.queue);
}, 60_000);
afterEach(async () => {
  await workers?.stopAll();
  if (broker) await dropQueues(broker.channel, svc.queue);
  await broker?.close();
});

/** Publishes jobs at `attempt` and waits for their retries on the tap. */
async function retriesOf(count: number, attempt: number, what: string): Promise<Tapped[]> {
  const ids = new Set(await publishJobs(broker.channel, svc.queue, objectKey, count, what, attempt));
  // The first retry of each job: later ones (it comes back and fails again) are of later attempts.
  const mine = () => {
    const first = new Map<string, Tapped>();
    for (const tapped of broker.tapped) if (tapped.requestId && ids.has(tapped.requestId) && !first.has(tapped.requestId)) first.set(tapped.requestId, tapped);
    return [...first.values()];
  };
  const complete = await until(() => mine().length >= count, 150_000);
  if (!complete) expect.fail(`only ${mine().length} of ${count} failed jobs (attempt ${attempt}) were republished to the retry exchange within 150 s`);
  return mine();
}

describe('the retry delays', () => {
  it('06.jitter 1 000 delays of one attempt are spread (CV > 0.3) within [0, ceiling], with the next attempt number in the header', async () => {
    const attempt = 2;
    const retries = await retriesOf(1_000, attempt, 'spread');
    const delays = retries.map((retry) => retry.expirationMs);
    expect(delays.filter((delay) => !Number.isFinite(delay)).length, 'retries with no per-message expiration').toBe(0);
    const cv = coefficientOfVariation(delays);
    const distinct = new Set(delays).size;
    expect(cv, `coefficient of variation of 1 000 delays for attempt ${attempt}: ${cv.toFixed(3)} (mean ${mean(delays).toFixed(0)} ms, ${distinct} distinct values); jobs that fail together must not wait alike`).toBeGreaterThan(0.3);
    const outside = delays.filter((delay) => delay < 0 || delay > ceiling(attempt));
    expect(outside.length, `delays outside [0, ${ceiling(attempt)}] ms for attempt ${attempt} (e.g. ${outside.slice(0, 3).join(', ')})`).toBe(0);
    const headers = [...new Set(retries.map((retry) => retry.attempt))];
    expect(headers, `x-attempt headers on the retries of attempt-${attempt} jobs`).toEqual([attempt + 1]);
  }, 180_000);

  it('06.jitter the delays grow with the attempt number until the cap, where they stop growing', async () => {
    const means = new Map<number, number>();
    const all = await Promise.all([1, 2, 3, 4, 5, 6].map((attempt) => retriesOf(100, attempt, `grow-${attempt}`)));
    for (const attempt of [1, 2, 3, 4, 5, 6]) {
      const retries = all[attempt - 1]!;
      const delays = retries.map((retry) => retry.expirationMs);
      const over = delays.filter((delay) => !(delay >= 0 && delay <= ceiling(attempt)));
      expect(over.length, `delays of attempt ${attempt} outside [0, ${ceiling(attempt)}] ms (cap ${CAP_MS} ms): ${over.slice(0, 3).join(', ')}`).toBe(0);
      expect(new Set(retries.map((retry) => retry.attempt)), `x-attempt headers on the retries of attempt-${attempt} jobs`).toEqual(new Set([attempt + 1]));
      means.set(attempt, mean(delays));
    }
    const shown = [...means].map(([attempt, value]) => `#${attempt}: ${value.toFixed(0)} ms`).join(', ');
    for (const attempt of [1, 2, 3]) {
      const ratio = means.get(attempt + 1)! / means.get(attempt)!;
      expect(ratio, `mean delay of attempt ${attempt + 1} over attempt ${attempt} (${shown}): the ceiling doubles, so the mean should about double`).toBeGreaterThan(1.4);
      expect(ratio, `mean delay of attempt ${attempt + 1} over attempt ${attempt} (${shown})`).toBeLessThan(2.8);
    }
    for (const attempt of [4, 5]) {
      const ratio = means.get(attempt + 1)! / means.get(attempt)!;
      expect(ratio, `mean delay of attempt ${attempt + 1} over attempt ${attempt}, both at the ${CAP_MS} ms cap (${shown})`).toBeGreaterThan(0.7);
      expect(ratio, `mean delay of attempt ${attempt + 1} over attempt ${attempt}, both at the cap (${shown}): it should stop growing`).toBeLessThan(1.4);
    }
  }, 180_000);
});
