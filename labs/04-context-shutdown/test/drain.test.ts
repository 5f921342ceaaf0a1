// Graceful shutdown of the HTTP processes: SIGTERM while requests are in flight. The uploads
// are held in flight by the test: each request is sent with `Expect: 100-continue`, so the
// server has received and taken it (it answered 100 Continue) but cannot finish it before
// the test sends the body, after the signal. Then the listener must be gone at once, every
// request taken must be answered, and the process must exit 0 before its deadline.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { imageForm, outcomeOf, post, refusedWithin, tail, within, type PendingPost } from './lifecycle-helpers.ts';

// Generous: the optimizer must finish 20 images inside it even on a busy 2-core machine; a
// shutdown that does not wait fails at once whatever the deadline.
const graceMs = 15_000;
let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), processes: ['api', 'optimizer'], env: { SHUTDOWN_GRACE_MS: String(graceMs) } });
});
afterAll(() => svc?.stopAll());

/** Waits until the server has taken every request (100 Continue), failing with which did not. */
async function allTaken(name: string, pending: PendingPost[]): Promise<void> {
  const taken = await Promise.all(pending.map((p) => within(p.continued.then(() => true), 5_000, false)));
  const missing = taken.flatMap((ok, i) => (ok ? [] : [i + 1]));
  if (missing.length > 0) expect.fail(`the ${name} did not take request(s) ${missing.join(', ')} of ${pending.length} within 5 s (no 100 Continue)`);
}

/** Sends SIGTERM and returns the exit code and how long the process took to exit. */
function terminate(name: 'api' | 'optimizer'): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  // SIGKILL only well after the deadline: a process still there then has failed already.
  return svc.stop(name, 'SIGTERM', graceMs + 4_000).then((code) => ({ code, ms: Math.round(performance.now() - started) }));
}

describe('SIGTERM with requests in flight', () => {
  it('04.drain the API refuses new connections at once, answers all 20 uploads in flight and exits 0 within SHUTDOWN_GRACE_MS', { timeout: 40_000 }, async () => {
    const image = await photoJpeg(800, 600);
    // One upload first: the first one pays for the API's connections to MinIO and the optimizer.
    const warm = await post(`${svc.apiUrl}/upload`, await imageForm(image, 'drain warm-up')).result;
    expect(outcomeOf(warm), 'the warm-up upload').toBe('200');

    // 20 cache misses (each its own text): every one will go through MinIO and the optimizer.
    const forms = await Promise.all(Array.from({ length: 20 }, (_, i) => imageForm(image, `drain ${i + 1}`)));
    const uploads = forms.map((form) => post(`${svc.apiUrl}/upload`, form, { holdBody: true }));
    await allTaken('API', uploads);

    const exit = terminate('api');
    const listener = await refusedWithin(svc.apiUrl, 1_000);
    expect(listener, `1 s after SIGTERM a new connection to the API still got "${listener}": close the listener first (server.close())`).toBe('refused');

    for (const upload of uploads) upload.sendBody();
    const results = await Promise.all(uploads.map((upload) => within(upload.result, graceMs + 2_000, { error: 'no answer' })));
    const outcomes = results.map(outcomeOf);
    const failed = outcomes.flatMap((outcome, i) => (outcome === '200' || outcome === '202' ? [] : [`#${i + 1}: ${outcome}`]));
    if (failed.length > 0) {
      expect.fail(`${failed.length} of the 20 uploads in flight at SIGTERM were not answered 200 or 202 (${failed.join(', ')}): the shutdown did not wait for them. API's last lines:\n${tail(svc, 'api')}`);
    }

    const { code, ms } = await exit;
    expect(code, `the API exited with ${code === null ? 'no code (killed by a signal)' : `code ${code}`} after ${ms} ms: a graceful shutdown ends with process.exit(0)`).toBe(0);
    expect(ms, `the API took ${ms} ms to exit, longer than SHUTDOWN_GRACE_MS=${graceMs}`).toBeLessThanOrEqual(graceMs + 500);
  });

  it('04.drain the optimizer finishes the images it accepted, refuses new connections and exits 0 within SHUTDOWN_GRACE_MS', { timeout: 40_000 }, async () => {
    const image = await photoJpeg(1600, 1200);
    const forms = await Promise.all(Array.from({ length: 4 }, (_, i) => imageForm(image, `optimizer drain ${i + 1}`)));
    const calls = forms.map((form) => post(`${svc.optimizerUrl}/optimize`, form, { holdBody: true }));
    await allTaken('optimizer', calls);

    const exit = terminate('optimizer');
    const listener = await refusedWithin(svc.optimizerUrl, 1_000);
    expect(listener, `1 s after SIGTERM a new connection to the optimizer still got "${listener}"`).toBe('refused');

    for (const call of calls) call.sendBody();
    const results = await Promise.all(calls.map((call) => within(call.result, graceMs + 2_000, { error: 'no answer' })));
    const failed = results.flatMap((result, i) => ('error' in result || result.status !== 200 ? [`#${i + 1}: ${outcomeOf(result)}`] : []));
    if (failed.length > 0) expect.fail(`${failed.length} of the 4 images accepted before SIGTERM got no watermarked answer (${failed.join(', ')}). Optimizer's last lines:\n${tail(svc, 'optimizer')}`);
    for (const result of results) if (!('error' in result)) expect(result.headers['content-type']).toMatch(/^image\/jpeg/);

    const { code, ms } = await exit;
    expect(code, `the optimizer exited with ${code === null ? 'no code (killed by a signal)' : `code ${code}`} after ${ms} ms`).toBe(0);
    expect(ms, `the optimizer took ${ms} ms to exit, longer than SHUTDOWN_GRACE_MS=${graceMs}`).toBeLessThanOrEqual(graceMs + 500);
  });
});
