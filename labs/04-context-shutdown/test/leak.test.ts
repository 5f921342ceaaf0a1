// The goroutine-leak check, Node's way: count what keeps the API's event loop alive
// (process.getActiveResourcesInfo(), served on its admin port), send 300 uploads, and the
// count must come back to where it was, and so must the timers and responses in the heap (an
// unref()ed timer leaves the count but not the heap). Every upload after the first is a cache
// hit: a leak per request shows up without 300 trips through the optimizer.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { activeResources, imageForm, outcomeOf, poll, post, resourceChanges, sleep, type ResourceCount } from './lifecycle-helpers.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), processes: ['api', 'optimizer'] });
});
afterAll(() => svc?.stopAll());

const uploads = 300;
const atOnce = 10;
const tolerance = 2;

describe('active resources', () => {
  it(`04.no-leak brings the API's active resources back to their count before ${uploads} uploads, ± ${tolerance}`, { timeout: 60_000 }, async () => {
    const form = await imageForm(await photoJpeg(320, 240), 'leak check');
    const send = async () => {
      const result = await post(`${svc.apiUrl}/upload`, form).result;
      if ('error' in result || result.status !== 200) expect.fail(`an upload answered ${outcomeOf(result)}: ${'body' in result ? result.body.toString().slice(0, 200) : ''}`);
    };
    // Warm-up: the cache miss (MinIO, the optimizer, their connections) and a few hits, so the
    // count below is the API at rest with every connection it keeps already open.
    for (let i = 0; i < 5; i++) await send();
    await sleep(300);
    const before = await activeResources(svc.adminUrl.api);

    for (let sent = 0; sent < uploads; sent += atOnce) await Promise.all(Array.from({ length: Math.min(atOnce, uploads - sent) }, send));

    // Each upload's own connection closes with its answer; a few hundred ms let the last ones go.
    let after: ResourceCount = before;
    const settled = await poll(async () => {
      after = await activeResources(svc.adminUrl.api);
      return Math.abs(after.total - before.total) <= tolerance ? after : undefined;
    }, 3_000, 200);
    // unref() takes a timer out of the count above but not out of the heap: the leak is only
    // gone when the per-request timers and responses themselves are.
    const hidden = (['Timeout', 'ServerResponse'] as const).filter((kind) => after.live[kind] - before.live[kind] > tolerance);
    if (settled && hidden.length > 0) {
      expect.fail(
        `after ${uploads} uploads the active resources came back (${before.total} → ${after.total}), but the heap still holds ${hidden.map((kind) => `${after.live[kind] - before.live[kind]} more ${kind} objects`).join(' and ')} than before: ` +
          'a timer that is unref()ed or a response kept by a closure still leaks; clear the timer when the response closes',
      );
    }
    if (!settled) {
      expect.fail(
        `after ${uploads} uploads the API holds ${after.total} active resources, ${before.total} before (${resourceChanges(before, after)}), still 3 s after the last answer. ` +
          'Something started per request (a timer, a socket, a listener on a long-lived emitter) is never cleaned up: GET /debug/resources on the admin port shows which kind grows',
      );
    }
  });
});
