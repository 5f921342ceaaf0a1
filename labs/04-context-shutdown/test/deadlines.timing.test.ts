// Cancellation and timeouts: a client that hangs up stops the optimizer's work, and a slow
// optimizer cannot hold an upload past OPTIMIZER_TIMEOUT_MS (nor is it given up before). The
// optimizer's work is read from the operating system (its CPU time in /proc), what was written
// from Redis and from the queue itself. A *.timing file, so it runs alone: another test's load
// on a 2-core machine would eat into the deadlines.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { cpuTimeMs, freshRequestId, imageForm, keysOf, outcomeOf, poll, post, queuedJobs, startSlowLink, stepLine, tail, type SlowLink } from './lifecycle-helpers.ts';

const stack = inject('stack');
let svc: RunningService;
/** CPU time the optimizer spends on one whole photo, measured in this run. */
let wholeImageCpuMs: number;

/** The optimizer's pid; fails when it is not running. */
function optimizerPid(): number {
  const pid = svc.pid('optimizer');
  if (pid === undefined) expect.fail('the optimizer is not running');
  return pid;
}

/**
 * Waits until the optimizer's CPU time stops growing (no more than one clock tick in a second:
 * long enough that a busy machine's scheduler cannot fake it) and returns how much it used
 * from `fromCpuMs` on.
 */
async function cpuUntilQuiet(fromCpuMs: number): Promise<number> {
  const pid = optimizerPid();
  const samples: number[] = [];
  const quiet = await poll(() => {
    samples.push(cpuTimeMs(pid));
    const window = samples.slice(-11);
    return window.length === 11 && window[10]! - window[0]! <= 10 ? window[10]! : undefined;
  }, 20_000, 100);
  if (quiet === undefined) expect.fail(`the optimizer's CPU time was still growing 20 s later (${samples.at(-1)! - fromCpuMs} ms used): it never went idle`);
  return quiet - fromCpuMs;
}

/** One direct /optimize call, answered 200; fails with what it got otherwise. */
async function optimizeDirectly(image: Buffer, text: string, requestId: string): Promise<void> {
  const result = await post(`${svc.optimizerUrl}/optimize`, await imageForm(image, text), { headers: { 'x-request-id': requestId } }).result;
  expect(outcomeOf(result), `a direct call to the optimizer (${text})`).toBe('200');
}

beforeAll(async () => {
  // One image at a time in the optimizer, so that an upload can be made to wait for its slot.
  svc = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '1' } } });
  // The first image pays for loading sharp's codecs and the font; the yardstick is the next one.
  const photo = await photoJpeg();
  await optimizeDirectly(photo, 'warm-up', freshRequestId('warm-up'));
  const from = cpuTimeMs(optimizerPid());
  await optimizeDirectly(photo, 'yardstick', freshRequestId('yardstick'));
  wholeImageCpuMs = await cpuUntilQuiet(from);
}, 60_000);
afterAll(() => svc?.stopAll());

/** Fails when the service wrote a Redis key or queued a job for the abandoned upload `id`. */
async function expectNothingWritten(id: string, before: string[]): Promise<void> {
  const known = new Set(before);
  const written = (await keysOf(svc, stack.redis.url)).filter((key) => !known.has(key));
  expect(written, `the API wrote ${written.join(', ')} to Redis for a client that had hung up: once the request signal has aborted, write nothing`).toEqual([]);
  const queued = (await queuedJobs(svc, stack.rabbitmq.url)).filter((job) => job.requestId === id);
  expect(queued.length, `the retry queue holds ${queued.length} job(s) for the upload whose client hung up: an aborted optimizer call is not "unavailable", queue nothing`).toBe(0);
}

describe('a client that hangs up', () => {
  it('04.client-abort stops the optimizer at its next pipeline step when the client hangs up during the image, and writes nothing to Redis or the queue', { timeout: 60_000 }, async () => {
    const photo = await photoJpeg();
    const id = freshRequestId('hang-up-busy');
    const before = await keysOf(svc, stack.redis.url);
    const client = new AbortController();
    const answer = upload(svc.apiUrl, { image: photo, wmText: `hang up ${id}`, headers: { 'x-request-id': id }, signal: client.signal }).catch(() => null);

    // The optimizer has the whole upload, and its only slot is free: the pipeline starts now,
    // with the decode, well before the encode that costs most.
    const read = await stepLine(svc, 'optimizer', id, 'read', 10_000);
    if (!read) expect.fail(`the upload never reached the optimizer: no "read" step line with request_id ${id} within 10 s. Optimizer's last lines:\n${tail(svc, 'optimizer')}`);
    const hungUpAtCpu = cpuTimeMs(optimizerPid());
    client.abort();
    await answer;

    const usedMs = await cpuUntilQuiet(hungUpAtCpu);
    expect(
      usedMs,
      `after the client hung up the optimizer still used ${usedMs} ms of CPU on its image, ${Math.round((usedMs / wholeImageCpuMs) * 100)} % of a whole image (${wholeImageCpuMs} ms): ` +
        'it finished the image for nobody. The API must abort its fetch when its client goes, and the optimizer must check its own request signal between the steps, not only at the end',
    ).toBeLessThan((wholeImageCpuMs * 2) / 3);
    await expectNothingWritten(id, before);
  });

  it('04.client-abort never starts an image whose client hung up while it waited for a worker slot, and writes nothing to Redis or the queue', { timeout: 60_000 }, async () => {
    const photo = await photoJpeg();
    const before = await keysOf(svc, stack.redis.url);
    // Two full-size photos sent straight to the optimizer take its only slot and the next turn.
    const blockerIds = [freshRequestId('blocker'), freshRequestId('blocker')];
    const blockers: Array<Promise<void>> = [];
    for (const [i, blockerId] of blockerIds.entries()) {
      blockers.push(optimizeDirectly(photo, `blocker ${i} ${blockerId}`, blockerId));
      if (!(await stepLine(svc, 'optimizer', blockerId, 'read', 10_000))) expect.fail(`the optimizer did not receive a direct /optimize call within 10 s:\n${tail(svc, 'optimizer')}`);
    }

    const id = freshRequestId('hang-up-queued');
    const client = new AbortController();
    const answer = upload(svc.apiUrl, { image: photo, wmText: `queued ${id}`, headers: { 'x-request-id': id }, signal: client.signal }).catch(() => null);
    const read = await stepLine(svc, 'optimizer', id, 'read', 10_000);
    if (!read) expect.fail(`the upload never reached the optimizer: no "read" step line with request_id ${id} within 10 s:\n${tail(svc, 'optimizer')}`);
    client.abort();
    await answer;

    // Once the second photo is answered, the slot goes to the abandoned image: it must not start.
    await Promise.all(blockers);
    const usedMs = await cpuUntilQuiet(cpuTimeMs(optimizerPid()));
    expect(
      usedMs,
      `once its slot came free the optimizer used ${usedMs} ms of CPU on an image whose client had hung up while it waited, ${Math.round((usedMs / wholeImageCpuMs) * 100)} % of a whole image (${wholeImageCpuMs} ms): ` +
        'a task that waited for a slot in the worker pool must check the signal before it starts',
    ).toBeLessThan(wholeImageCpuMs / 3);
    await expectNothingWritten(id, before);
  });
});

describe('an optimizer slower than OPTIMIZER_TIMEOUT_MS', () => {
  // Two settings a constant cannot both satisfy: they are further apart than the slack.
  const settings = [500, 1_500];
  const slackMs = 600;
  let link: SlowLink;
  const apis = new Map<number, RunningService>();
  beforeAll(async () => {
    // Every call to the optimizer is held far past the longer timeout before it is passed on.
    link = await startSlowLink(2 * Math.max(...settings) + slackMs, svc.optimizerUrl);
    await Promise.all(
      settings.map(async (timeoutMs) => {
        const api = await startService({ tree: inject('tree'), stack, processes: ['api'], env: { OPTIMIZER_URL: link.url, OPTIMIZER_TIMEOUT_MS: String(timeoutMs) } });
        apis.set(timeoutMs, api);
        // One upload first, so the measured one does not pay for the API's first MinIO and Redis calls.
        await upload(api.apiUrl, { image: await photoJpeg(640, 480), wmText: 'warm-up', signal: AbortSignal.timeout(2 * timeoutMs + 5_000) }).catch(() => null);
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...apis.values()].map((api) => api.stopAll()));
    await link?.close();
  });

  it.each(settings)(`04.timeout with OPTIMIZER_TIMEOUT_MS=%i answers 202 (queued) after the timeout and within ${slackMs} ms of it, and abandons the optimizer call`, { timeout: 20_000 }, async (timeoutMs) => {
    const api = apis.get(timeoutMs)!;
    const image = await photoJpeg(800, 600);
    const id = freshRequestId('timeout');
    const boundMs = timeoutMs + slackMs;
    const started = performance.now();
    const result = await upload(api.apiUrl, { image, wmText: `slow ${id}`, headers: { 'x-request-id': id }, signal: AbortSignal.timeout(boundMs + 3_000) }).catch(() => null);
    const elapsedMs = Math.round(performance.now() - started);
    if (!result) expect.fail(`no answer after ${elapsedMs} ms, with OPTIMIZER_TIMEOUT_MS=${timeoutMs} and an optimizer that takes ${link.delayMs} ms: the call to the optimizer has no timeout`);
    expect(result.status, `answered ${result.status} after ${elapsedMs} ms (${result.body.toString().slice(0, 200)}); a timed-out optimizer call is queued for the worker and answered 202`).toBe(202);
    expect(elapsedMs, `answered after ${elapsedMs} ms, before OPTIMIZER_TIMEOUT_MS=${timeoutMs} was up: the timeout must come from the setting`).toBeGreaterThanOrEqual(timeoutMs);
    expect(elapsedMs, `answered after ${elapsedMs} ms; with OPTIMIZER_TIMEOUT_MS=${timeoutMs} the bound is ${boundMs} ms`).toBeLessThanOrEqual(boundMs);
    const { status, statusUrl } = result.json<{ status: string; statusUrl: string }>();
    expect(status).toBe('pending');
    expect(statusUrl).toMatch(/^\/status\/[0-9a-f]{64}$/);
    const queued = (await queuedJobs(api, stack.rabbitmq.url)).filter((job) => job.requestId === id);
    expect(queued.length, 'jobs in the retry queue for the timed-out upload, right after its 202').toBe(1);

    // Answering in time is not enough: the call itself must have been cancelled, or it goes on
    // holding a connection, the image and the optimizer's time.
    const call = await poll(() => link.calls.find((c) => c.requestId === id && c.abandonedAt !== undefined), slackMs);
    if (!call) {
      const seen = link.calls.find((c) => c.requestId === id);
      expect.fail(
        seen
          ? 'the API answered but left its call to the optimizer running (the connection stayed open): abort the fetch with the timeout signal, do not just race it against a timer'
          : `the optimizer never received request ${id}: the answer did not come from a timed-out call`,
      );
    }
    expect(call.forwardedAt, 'the call reached the optimizer although it was abandoned').toBeUndefined();
  });
});
