// The shutdown deadline: SIGTERM while an upload is in flight that cannot finish (the test
// never sends its body), at two SHUTDOWN_GRACE_MS settings. The API must wait for it until the
// deadline and not longer, then cut it, close its clients and exit 1 (work was cut short). A
// *.timing file, so it runs alone: the bounds are a few hundred milliseconds either side of
// the setting.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { clientsLeftOpen, imageForm, outcomeOf, post, tail, within } from './lifecycle-helpers.ts';

const stack = inject('stack');
// Two settings a hard-coded deadline cannot both satisfy: they are further apart than the slack.
const settings = [1_000, 2_500];
const slackMs = 800;
const apis = new Map<number, RunningService>();
beforeAll(async () => {
  await Promise.all(
    settings.map(async (graceMs) => {
      apis.set(graceMs, await startService({ tree: inject('tree'), stack, processes: ['api'], env: { SHUTDOWN_GRACE_MS: String(graceMs) }, probe: true }));
    }),
  );
}, 60_000);
afterAll(() => Promise.all([...apis.values()].map((api) => api.stopAll())));

describe('SIGTERM with an upload that outlasts SHUTDOWN_GRACE_MS', () => {
  it.each(settings)(`04.drain with SHUTDOWN_GRACE_MS=%i cuts the upload at the deadline, not before and within ${slackMs} ms after, closes its clients and exits 1`, { timeout: 30_000 }, async (graceMs) => {
    const svc = apis.get(graceMs)!;
    const held = post(`${svc.apiUrl}/upload`, await imageForm(await photoJpeg(320, 240), `deadline ${graceMs}`), { holdBody: true, timeoutMs: graceMs + slackMs + 10_000 });
    const taken = await within(held.continued.then(() => true), 10_000, false);
    if (!taken) expect.fail('the API did not take the upload within 10 s (no 100 Continue)');

    const started = performance.now();
    // SIGKILL only well after the bound: a process still there then has failed already.
    const code = await svc.stop('api', 'SIGTERM', graceMs + slackMs + 3_000);
    const ms = Math.round(performance.now() - started);
    expect(code, `the API exited with ${code === null ? 'no code (killed after waiting past the deadline)' : `code ${code}`} ${ms} ms after SIGTERM; with an upload cut at the deadline it must exit 1. Its last lines:\n${tail(svc, 'api')}`).toBe(1);
    expect(ms, `the API exited ${ms} ms after SIGTERM, before SHUTDOWN_GRACE_MS=${graceMs} was up: it did not wait for the upload in flight until the deadline`).toBeGreaterThanOrEqual(graceMs);
    expect(ms, `the API exited ${ms} ms after SIGTERM; with SHUTDOWN_GRACE_MS=${graceMs} the bound is ${graceMs + slackMs} ms`).toBeLessThanOrEqual(graceMs + slackMs);
    const { open } = clientsLeftOpen(svc, 'api', stack);
    expect(open, `the API exited with its ${open.join(' and ')} connection(s) still open: the deadline cuts the requests, then the clients are closed all the same`).toEqual([]);
    const outcome = outcomeOf(await held.result);
    expect(outcome, 'the upload cut at the deadline: its connection must be closed, not left hanging').not.toMatch(/^no answer/);
  });
});
