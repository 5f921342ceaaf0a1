// 06.herd: 100 jobs fail together (the optimizer, a stand-in here, answers 503 to everything)
// and come back for their second attempt. Counted where the retries arrive, at the stand-in:
// the 100 ms windows their second calls fall in. A fixed delay brings them back as they
// failed, in as few windows as their first calls (a thundering herd, now and at every next
// attempt); full jitter spreads them over the whole backoff range. The first calls come one
// after the other (the worker takes one job at a time), so the retries must cover at least 20
// windows and at least twice as many as the first calls did. A *.timing file: it runs alone.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { startFailingOptimizer, type FailingOptimizer } from './breaker-helpers.ts';
import { dropQueues, publishJobs, storeOriginal, tapRetries, until, type Broker } from './retry-helpers.ts';

const stack = inject('stack');
const BASE_MS = 4_000;
const JOBS = 100;
const WINDOW_MS = 100;

let optimizer: FailingOptimizer;
let svc: RunningService;
let broker: Broker;

beforeAll(async () => {
  optimizer = await startFailingOptimizer();
  svc = await startService({
    tree: inject('tree'),
    stack,
    processes: ['worker'],
    env: { RETRY_DELAY_MS: String(BASE_MS), RETRY_MAX_DELAY_MS: '600000', OPTIMIZER_URL: optimizer.url },
  });
  broker = await tapRetries(stack, svc.queue);
}, 60_000);
afterAll(async () => {
  await svc?.stopAll();
  if (broker) await dropQueues(broker.channel, svc.queue);
  await broker?.close();
  await optimizer?.close();
});

function windows(times: number[]): number {
  return new Set(times.map((at) => Math.floor(at / WINDOW_MS))).size;
}

describe('100 jobs failing together', () => {
  it('06.herd come back across at least 20 distinct 100 ms windows, and twice as many as they failed in', async () => {
    const objectKey = await storeOriginal(stack, svc);
    const ids = new Set(await publishJobs(broker.channel, svc.queue, objectKey, JOBS, 'herd'));
    const callsOf = new Map<string, number[]>();
    const tally = () => {
      callsOf.clear();
      for (const call of optimizer.calls) {
        if (!call.requestId || !ids.has(call.requestId)) continue;
        callsOf.set(call.requestId, [...(callsOf.get(call.requestId) ?? []), call.at]);
      }
      return [...callsOf.values()].filter((calls) => calls.length >= 2).length;
    };
    // The ceiling of the first retry is BASE_MS: all second calls are due within it, plus the
    // time the worker takes to go through 100 jobs twice.
    const complete = await until(() => tally() >= JOBS, BASE_MS * 2 + 20_000, 200);
    const retried = tally();
    if (!complete) expect.fail(`only ${retried} of ${JOBS} failed jobs came back for a second attempt within ${BASE_MS * 2 + 20} s (first calls: ${callsOf.size})`);
    const first = [...callsOf.values()].map((calls) => calls[0]!);
    const second = [...callsOf.values()].map((calls) => calls[1]!);
    const firstWindows = windows(first);
    const secondWindows = windows(second);
    const perWindow = new Map<number, number>();
    for (const at of second) perWindow.set(Math.floor(at / WINDOW_MS), (perWindow.get(Math.floor(at / WINDOW_MS)) ?? 0) + 1);
    const peak = Math.max(...perWindow.values());
    console.log(`06.herd: first calls in ${firstWindows} windows of ${WINDOW_MS} ms; second calls in ${secondWindows} windows, at most ${peak} in one, over ${((Math.max(...second) - Math.min(...second)) / 1000).toFixed(1)} s`);
    expect(secondWindows, `the ${JOBS} retries arrived in ${secondWindows} distinct ${WINDOW_MS} ms windows (at most ${peak} jobs in one); they failed in ${firstWindows}: a thundering herd`).toBeGreaterThanOrEqual(20);
    expect(secondWindows, `windows of the retries (${secondWindows}) against windows of the first calls (${firstWindows}): the retries keep the failures' beat`).toBeGreaterThanOrEqual(2 * firstWindows);
    // The broker's view of the same retries: each carries its next attempt number.
    expect(broker.tapped.filter((tapped) => tapped.requestId && ids.has(tapped.requestId)).length, 'retries of these jobs seen on the retry exchange').toBeGreaterThanOrEqual(JOBS);
  }, 90_000);
});
