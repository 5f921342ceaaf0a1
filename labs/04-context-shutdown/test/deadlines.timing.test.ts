// Cancellation and timeouts, measured against deadlines of a few hundred milliseconds: a
// client that hangs up stops the optimizer's work, and a slow optimizer cannot hold an upload
// past OPTIMIZER_TIMEOUT_MS. A *.timing file, so it runs alone: another test's load on a
// 2-core machine would eat into those deadlines.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { get, upload } from '../../../shared/harness/upload.ts';
import { freshRequestId, imageForm, keysOf, poll, post, startSlowLink, stepLine, tail, timeOf, within, type SlowLink } from './lifecycle-helpers.ts';

const stack = inject('stack');
let svc: RunningService;
beforeAll(async () => {
  // One image at a time in the optimizer, so that an upload can be made to wait for its slot.
  svc = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '1' } } });
  // The first image pays for loading sharp's codecs and the font; the tests measure later ones.
  const photo = await photoJpeg();
  const warm = post(`${svc.optimizerUrl}/optimize`, await imageForm(photo, 'warm-up'));
  await within(warm.result, 15_000, null);
});
afterAll(() => svc?.stopAll());

/** Keys the service wrote to Redis since `before` (a snapshot of keysOf). */
async function newKeys(before: string[]): Promise<string[]> {
  const known = new Set(before);
  return (await keysOf(svc, stack.redis.url)).filter((key) => !known.has(key));
}

/** Waits up to `ms` for a Redis key the service did not have before; returns what appeared. */
async function keysWrittenWithin(before: string[], ms: number): Promise<string[]> {
  return (await poll(async () => {
    const added = await newKeys(before);
    return added.length > 0 ? added : undefined;
  }, ms, 50)) ?? [];
}

/** Milliseconds of a step line's work that fell after `from` (its start is its time − duration_ms). */
function workAfter(line: { time?: string; duration_ms?: unknown }, from: number): number {
  const end = timeOf(line);
  const start = end - Number(line.duration_ms ?? 0);
  return Math.max(0, end - Math.max(start, from));
}

describe('a client that hangs up', () => {
  it('04.client-abort stops the optimizer at its next pipeline step when the client hangs up during the image, and writes nothing to Redis', { timeout: 30_000 }, async () => {
    const photo = await photoJpeg();
    const id = freshRequestId('hang-up-busy');
    const before = await keysOf(svc, stack.redis.url);
    const client = new AbortController();
    const answer = upload(svc.apiUrl, { image: photo, wmText: `hang up ${id}`, headers: { 'x-request-id': id }, signal: client.signal }).catch(() => null);

    // The optimizer has the whole upload, and its only slot is free: the pipeline starts now.
    const read = await stepLine(svc, 'optimizer', id, 'read', 10_000);
    if (!read) expect.fail(`the upload never reached the optimizer: no "read" step line with request_id ${id} within 10 s. Optimizer's last lines:\n${tail(svc, 'optimizer')}`);
    const hungUpAt = Date.now();
    client.abort();
    await answer;

    // The optimizer's own account of the image: its watermark step line, whether it finished
    // (outcome ok) or was stopped (a failed step, or no line at all).
    const watermark = await stepLine(svc, 'optimizer', id, 'watermark', 2_000);
    if (watermark?.outcome === 'ok') {
      expect.fail(
        `the optimizer finished the image anyway: its watermark step ended ${timeOf(watermark) - hungUpAt} ms after the client hung up (outcome ok, ${watermark.duration_ms} ms). ` +
          'Nothing told it the client had left: the API must abort its fetch when its client goes, and the optimizer must check its own request signal between steps',
      );
    }
    const written = await keysWrittenWithin(before, 1_000);
    expect(written, `the API wrote ${written.join(', ')} to Redis for a client that had hung up: once the request signal has aborted, write nothing`).toEqual([]);
  });

  it('04.client-abort never starts an image whose client hung up while it waited for a worker slot (no work on it later than 200 ms after the hang-up)', { timeout: 40_000 }, async () => {
    const photo = await photoJpeg();
    const before = await keysOf(svc, stack.redis.url);
    // Two full-size photos sent straight to the optimizer take its only slot and the next turn.
    const form = (text: string) => imageForm(photo, text);
    const blockerIds = [freshRequestId('blocker'), freshRequestId('blocker')];
    const blockers = [];
    for (const [i, blockerId] of blockerIds.entries()) {
      blockers.push(post(`${svc.optimizerUrl}/optimize`, await form(`blocker ${i} ${blockerId}`), { headers: { 'x-request-id': blockerId } }).result);
      if (!(await stepLine(svc, 'optimizer', blockerId, 'read', 10_000))) expect.fail(`the optimizer did not receive a direct /optimize call within 10 s:\n${tail(svc, 'optimizer')}`);
    }

    const id = freshRequestId('hang-up-queued');
    const client = new AbortController();
    const answer = upload(svc.apiUrl, { image: photo, wmText: `queued ${id}`, headers: { 'x-request-id': id }, signal: client.signal }).catch(() => null);
    const read = await stepLine(svc, 'optimizer', id, 'read', 10_000);
    if (!read) expect.fail(`the upload never reached the optimizer: no "read" step line with request_id ${id} within 10 s:\n${tail(svc, 'optimizer')}`);
    const hungUpAt = Date.now();
    client.abort();
    await answer;

    const done = await within(Promise.all(blockers), 20_000, null);
    expect(done, 'the two photos sent straight to the optimizer got no answer within 20 s').not.toBeNull();
    const watermark = await stepLine(svc, 'optimizer', id, 'watermark', 1_500);
    if (watermark) {
      const lateMs = workAfter(watermark, hungUpAt + 200);
      const startedAfter = timeOf(watermark) - Number(watermark.duration_ms) - hungUpAt;
      expect(
        lateMs,
        `the optimizer started the image ${Math.round(startedAfter)} ms after its client had hung up and worked on it for ${watermark.duration_ms} ms (outcome ${String(watermark.outcome)}): ` +
          'a task that waited for a slot in the worker pool must check the signal before it starts',
      ).toBeLessThanOrEqual(20);
    }
    const written = await keysWrittenWithin(before, 500);
    expect(written, `the API wrote ${written.join(', ')} to Redis for a client that had hung up`).toEqual([]);
  });
});

describe('an optimizer slower than OPTIMIZER_TIMEOUT_MS', () => {
  const timeoutMs = 400;
  const slackMs = 300;
  let link: SlowLink;
  let api: RunningService;
  beforeAll(async () => {
    // Every call to the optimizer is held 3 s before it is passed on: far past the timeout.
    link = await startSlowLink(3_000, svc.optimizerUrl);
    api = await startService({ tree: inject('tree'), stack, processes: ['api'], env: { OPTIMIZER_URL: link.url, OPTIMIZER_TIMEOUT_MS: String(timeoutMs) } });
    // One upload first, so the measured one does not pay for the API's first MinIO and Redis calls.
    await upload(api.apiUrl, { image: await photoJpeg(640, 480), wmText: 'warm-up', signal: AbortSignal.timeout(2_000) }).catch(() => null);
  });
  afterAll(async () => {
    await api?.stopAll();
    await link?.close();
  });

  it(`04.timeout answers 202 (queued) within OPTIMIZER_TIMEOUT_MS + ${slackMs} ms and abandons the optimizer call`, { timeout: 20_000 }, async () => {
    const image = await photoJpeg(800, 600);
    const id = freshRequestId('timeout');
    const boundMs = timeoutMs + slackMs;
    const started = performance.now();
    const result = await upload(api.apiUrl, { image, wmText: `slow ${id}`, headers: { 'x-request-id': id }, signal: AbortSignal.timeout(boundMs + 1_500) }).catch(() => null);
    const elapsedMs = Math.round(performance.now() - started);
    if (!result) expect.fail(`no answer after ${elapsedMs} ms, with OPTIMIZER_TIMEOUT_MS=${timeoutMs} and an optimizer that takes 3 s: the call to the optimizer has no timeout`);
    expect(elapsedMs, `answered ${result.status} after ${elapsedMs} ms; with OPTIMIZER_TIMEOUT_MS=${timeoutMs} the bound is ${boundMs} ms`).toBeLessThanOrEqual(boundMs);
    expect(result.status, `answered ${result.status} (${result.body.toString().slice(0, 200)}); a timed-out optimizer call is queued for the worker and answered 202`).toBe(202);
    const { status, statusUrl } = result.json<{ status: string; statusUrl: string }>();
    expect(status).toBe('pending');
    expect(statusUrl).toMatch(/^\/status\/[0-9a-f]{64}$/);
    expect((await get(api.apiUrl + statusUrl)).json(), `GET ${statusUrl} right after the 202`).toEqual({ status: 'pending' });

    // Answering in time is not enough: the call itself must have been cancelled, or it goes on
    // holding a connection, the image and the optimizer's time.
    const call = await poll(() => link.calls.find((c) => c.requestId === id && c.abandonedAt !== undefined), 1_000);
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
