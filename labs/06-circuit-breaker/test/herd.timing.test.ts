// 06.herd: 100 jobs fail together and come back for a second attempt. Counted where the
// retries arrive, in RabbitMQ: a queue of the test's own bound to the exchange that expired
// retries come back through sees each one the moment the broker releases it. The
// 100 ms windows the retries fall in are compared with the windows the failures fell in: a
// fixed delay releases them with the same beat they failed with (a thundering herd, now and
// at every next attempt, however big the backlog); full jitter spreads them over the whole
// backoff range. The jobs fail before any server is asked (an empty object key does not
// decode) and four workers share them, so the failures come close together. A *.timing file: it runs alone.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningService } from '../../../shared/harness/service.ts';
import { dropQueues, publishJobs, startWorkers, tapRetries, until, type Broker, type Workers } from './retry-helpers.ts';

const stack = inject('stack');
const BASE_MS = 4_000;
const JOBS = 100;
const WINDOW_MS = 100;
const objectKey = ''; // not a job the worker can do: it fails at once, before any server is asked

let workers: Workers;
let svc: RunningService;
let broker: Broker;

beforeAll(async () => {
  workers = await startWorkers(inject('tree'), stack, 4, { RETRY_DELAY_MS: String(BASE_MS), RETRY_MAX_DELAY_MS: '600000' });
  svc = workers.svc;
  broker = await tapRetries(stack, svc.queue);
}, 60_000);
afterAll(async () => {
  await workers?.stopAll();
  if (broker) await dropQueues(broker.channel, svc.queue);
  await broker?.close();
});

function windowsOf(times: number[]): { windows: number; peak: number } {
  const counts = new Map<number, number>();
  for (const at of times) counts.set(Math.floor(at / WINDOW_MS), (counts.get(Math.floor(at / WINDOW_MS)) ?? 0) + 1);
  return { windows: counts.size, peak: Math.max(...counts.values()) };
}

describe('100 jobs failing together', () => {
  it('06.herd come back across at least 20 distinct 100 ms windows, well more than they failed in', async () => {
    const ids = new Set(await publishJobs(broker.channel, svc.queue, objectKey, JOBS, 'herd'));
    const tappedOf = (id: string) => broker.tapped.filter((tapped) => tapped.requestId === id);
    const failedOnce = () => [...ids].filter((id) => tappedOf(id).length >= 1).length;
    if (!(await until(() => failedOnce() >= JOBS, 60_000, 50))) expect.fail(`only ${failedOnce()} of ${JOBS} jobs failed and were republished for a retry within 60 s`);
    const releasedOf = (id: string) => broker.released.find((released) => released.requestId === id)?.at;
    const back = () => [...ids].filter((id) => releasedOf(id) !== undefined).length;
    if (!(await until(() => back() >= JOBS, BASE_MS + 30_000, 50))) expect.fail(`only ${back()} of ${JOBS} retries were released back to the job queue within ${BASE_MS + 30} s`);

    const failures = windowsOf([...ids].map((id) => tappedOf(id)[0]!.at));
    const retries = windowsOf([...ids].map((id) => releasedOf(id)!));
    console.log(`06.herd: ${JOBS} failures in ${failures.windows} windows of ${WINDOW_MS} ms (at most ${failures.peak} in one); their retries in ${retries.windows} windows (at most ${retries.peak} in one)`);
    expect(retries.windows, `the ${JOBS} retries were released in ${retries.windows} distinct ${WINDOW_MS} ms windows (at most ${retries.peak} jobs in one): a thundering herd`).toBeGreaterThanOrEqual(20);
    expect(
      retries.windows - failures.windows,
      `windows of the retries (${retries.windows}) minus windows of the failures (${failures.windows}): the retries come back on the beat they failed on`,
    ).toBeGreaterThanOrEqual(15);
  }, 120_000);
});
