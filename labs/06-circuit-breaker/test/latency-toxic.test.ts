// 06.latency-toxic: a Toxiproxy latency toxic longer than OPTIMIZER_TIMEOUT_MS on the
// API→optimizer link. Every call then times out; the breaker must open on those timeouts (the
// calls stop reaching the optimizer, counted by the probe preloaded into it), close again by
// itself once the toxic is gone, and no upload may be lost on the way: each of the 100 ends
// with a result, 200 at once or 202 and /status done (the worker, started afterwards, reaches
// the optimizer directly and finishes the queued jobs).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { optimizeRequests, sleep, startProxied, statusOf, timedUpload, uniqueName, waitDone, type ProxiedService, type Timed } from './breaker-helpers.ts';

const stack = inject('stack');
const TIMEOUT_MS = 1_000;
const RESET_MS = 2_000;
const FAILURES = 5;
const CAPACITY = 5;
const slow = { name: 'slow-link', type: 'latency', stream: 'downstream', attributes: { latency: 2_500, jitter: 0 } } as const;

describe('a link slower than the timeout', () => {
  let service: ProxiedService;

  beforeAll(async () => {
    service = await startProxied(stack, 'latency', {
      tree: inject('tree'),
      // The worker starts once the optimizer's side has been counted: its calls reach the
      // optimizer too (directly, not through the proxy), and would be counted with the API's.
      processes: ['api', 'optimizer'],
      probe: true,
      env: {
        OPTIMIZER_TIMEOUT_MS: String(TIMEOUT_MS),
        BREAKER_RESET_MS: String(RESET_MS),
        BREAKER_FAILURES: String(FAILURES),
        BREAKER_CAPACITY: String(CAPACITY),
        RETRY_DELAY_MS: '200',
        RETRY_MAX_DELAY_MS: '2000',
      },
    });
    const warm = await timedUpload(service.svc.apiUrl, uniqueName('warm'));
    expect(statusOf(warm), 'a first upload through the healthy link').toBe('200');
  }, 60_000);
  afterAll(() => service?.stop());

  it('06.latency-toxic opens the breaker, closes it once the toxic is gone, and loses no upload', async () => {
    const { svc } = service;
    const run = uniqueName('run');
    const all: Array<{ text: string; timed: Timed }> = [];
    const send = async (text: string) => {
      const timed = await timedUpload(svc.apiUrl, text, 30_000);
      all.push({ text, timed });
      return timed;
    };

    // 80 uploads in waves of 5 on the slow link.
    await service.toxic(slow);
    const before = (await optimizeRequests(svc)).length;
    for (let wave = 0; wave < 16; wave++) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => send(`${run}-slow-${wave}-${i}`)));
    }
    const reachedSlow = (await optimizeRequests(svc)).length - before;
    expect(
      reachedSlow,
      `calls that reached the optimizer while 80 uploads met a link slower than the timeout: ${reachedSlow}; an open breaker stops calling (at most ${FAILURES} + ${CAPACITY} may)`,
    ).toBeLessThanOrEqual(FAILURES + CAPACITY);
    expect(reachedSlow, 'calls that reached the optimizer on the slow link (the breaker must try before it opens)').toBeGreaterThanOrEqual(1);

    // The toxic goes; after the reset time the breaker must close by itself.
    await service.heal(slow.name);
    await sleep(RESET_MS + 500);
    const recovered: string[] = [];
    for (let i = 0; i < 20; i++) recovered.push(statusOf(await send(`${run}-after-${i}`)));
    expect(recovered.slice(1), `uploads after the toxic was removed and the reset time passed (the first may be queued): ${recovered.join(' ')}; the breaker should have closed`).toEqual(Array(19).fill('200'));

    // Nothing lost: every 202 has its job done once the worker runs.
    await svc.start('worker');
    expect(all.length).toBe(100);
    const outcomes = all.map(({ timed }) => statusOf(timed));
    expect(outcomes.filter((status) => status !== '200' && status !== '202'), 'uploads answered neither 200 nor 202').toEqual([]);
    const queued = all.filter(({ timed }) => statusOf(timed) === '202');
    const results = await Promise.all(
      queued.map(({ timed }) => {
        if ('error' in timed.result) return false;
        const { statusUrl } = timed.result.json<{ statusUrl?: string }>();
        return statusUrl ? waitDone(svc.apiUrl, statusUrl, 45_000) : false;
      }),
    );
    const lost = results.filter((done) => !done).length;
    expect(lost, `queued uploads whose /status was not "done" 45 s later (of ${queued.length} queued): jobs lost by the fallback`).toBe(0);
  }, 120_000);
});
