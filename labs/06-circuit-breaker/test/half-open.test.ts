// 06.half-open: once the breaker is open and BREAKER_RESET_MS has passed, one call, and one
// only, may try the optimizer again; its success closes the breaker. Counted where the calls
// arrive: the probe the harness preloads into the optimizer records every HTTP request its
// server receives, before any of the optimizer's own code runs.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { optimizeRequests, sleep, startProxied, statusOf, timedUpload, uniqueName, type ProxiedService } from './breaker-helpers.ts';

const stack = inject('stack');
const TIMEOUT_MS = 3_000;
const RESET_MS = 2_500;
/** Connections reset at once: each call fails fast. */
const resetPeer = { name: 'reset', type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } } as const;
/** Answers held 1.5 s: the probe is still in flight while the whole burst arrives. */
const slowAnswers = { name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 1_500, jitter: 0 } } as const;

describe('the breaker after its reset time', () => {
  let service: ProxiedService;

  beforeAll(async () => {
    service = await startProxied(stack, 'half-open', {
      tree: inject('tree'),
      processes: ['api', 'optimizer'],
      probe: true,
      env: { OPTIMIZER_TIMEOUT_MS: String(TIMEOUT_MS), BREAKER_RESET_MS: String(RESET_MS), BREAKER_CAPACITY: '5', BREAKER_FAILURES: '5' },
    });
    const warm = await timedUpload(service.svc.apiUrl, uniqueName('warm'));
    expect(statusOf(warm), 'a first upload through the healthy link').toBe('200');
  }, 60_000);
  afterAll(() => service?.stop());

  it('06.half-open lets exactly one call reach the optimizer after the reset time, and its success closes the breaker', async () => {
    const { svc } = service;
    const run = uniqueName('run');
    // Open it: five calls in a row whose connection is reset.
    await service.toxic(resetPeer);
    const failing: string[] = [];
    for (let i = 0; i < 5; i++) failing.push(statusOf(await timedUpload(svc.apiUrl, `${run}-open-${i}`, 20_000)));
    expect(failing, 'uploads on a link that resets every connection (queued)').toEqual(Array(5).fill('202'));
    const openedAt = Date.now();
    await service.heal(resetPeer.name);

    // Still open: the link is healthy again, but nothing may reach the optimizer yet.
    const before = (await optimizeRequests(svc)).length;
    const early = await Promise.all(Array.from({ length: 5 }, (_, i) => timedUpload(svc.apiUrl, `${run}-early-${i}`)));
    const reachedEarly = (await optimizeRequests(svc)).length - before;
    expect(early.map(statusOf), 'uploads while the breaker is open (queued at once)').toEqual(Array(5).fill('202'));
    expect(reachedEarly, `requests that reached the optimizer while the breaker should be open (within ${RESET_MS} ms of opening): the breaker did not open after 5 timeouts`).toBe(0);
    expect(Date.now() - openedAt, 'the early uploads took longer than the reset time; the machine is too busy for this check').toBeLessThan(RESET_MS);

    // Half-open: a burst of 20 after the reset time; one of them is the probe, and its answer
    // is held long enough that the whole burst arrives while it is in flight.
    await sleep(Math.max(0, openedAt + RESET_MS + 500 - Date.now()));
    await service.toxic(slowAnswers);
    const atProbe = (await optimizeRequests(svc)).length;
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => timedUpload(svc.apiUrl, `${run}-probe-${i}`)));
    const reached = (await optimizeRequests(svc)).length - atProbe;
    await service.heal(slowAnswers.name);
    const statuses = burst.map(statusOf);
    expect(reached, `requests that reached the optimizer from a burst of 20 after the reset time (answers: ${statuses.join(' ')}); half-open allows exactly one probe`).toBe(1);
    expect(statuses.filter((status) => status === '200').length, 'uploads answered 200 in that burst: the probe').toBe(1);
    expect(statuses.filter((status) => status !== '200' && status !== '202'), 'answers other than 200 and 202 in that burst').toEqual([]);

    // Closed again: the probe's success let the traffic through.
    const atClose = (await optimizeRequests(svc)).length;
    const after = await Promise.all(Array.from({ length: 3 }, (_, i) => timedUpload(svc.apiUrl, `${run}-after-${i}`)));
    expect(after.map(statusOf), 'uploads after the probe succeeded: the breaker should be closed').toEqual(Array(3).fill('200'));
    expect((await optimizeRequests(svc)).length - atClose, 'requests that reached the optimizer after the probe').toBe(3);
  }, 60_000);
});
