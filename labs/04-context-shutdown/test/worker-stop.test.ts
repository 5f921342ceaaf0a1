// Graceful shutdown of the retry worker: SIGTERM in the middle of a job. Jobs are queued the
// way production queues them, by uploads while the API cannot reach an optimizer; the worker
// reaches the real optimizer through a slow link, so a job stays "in hand" for as long as the
// test needs, and the link tells exactly when the worker started it and whether it gave it up.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { freePort } from '../../../shared/harness/ports.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { get, upload } from '../../../shared/harness/upload.ts';
import { freshRequestId, poll, queueDepth, startSlowLink, tail, type SlowLink } from './lifecycle-helpers.ts';

const stack = inject('stack');

/** Queues one job: an upload while the API's optimizer is unreachable answers 202. */
async function queueJob(svc: RunningService, what: string): Promise<{ id: string; statusUrl: string }> {
  const id = freshRequestId(what);
  const result = await upload(svc.apiUrl, { image: await photoJpeg(640, 480), wmText: `${what} ${id}`, headers: { 'x-request-id': id }, signal: AbortSignal.timeout(10_000) });
  expect(result.status, `queueing a job: the API answered ${result.status} ${result.body.toString().slice(0, 200)}`).toBe(202);
  return { id, statusUrl: result.json<{ statusUrl: string }>().statusUrl };
}

async function statusOf(svc: RunningService, statusUrl: string): Promise<string> {
  return (await get(svc.apiUrl + statusUrl)).json<{ status?: string; error?: { code: string } }>().status ?? 'unknown';
}

/** Sends SIGTERM to the worker; resolves to its exit code and how long it took to exit. */
async function terminateWorker(svc: RunningService, graceMs: number): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  const code = await svc.stop('worker', 'SIGTERM', graceMs + 4_000);
  return { code, ms: Math.round(performance.now() - started) };
}

function exitMessage(svc: RunningService, code: number | null, ms: number): string {
  const how = code === null ? 'was killed by the signal (no exit code)' : `exited with code ${code}`;
  return `the worker ${how} ${ms} ms after SIGTERM; it should stop consuming, finish or requeue its job and exit 0. Its last lines:\n${tail(svc, 'worker')}`;
}

/** Starts a service whose API cannot reach an optimizer and whose worker goes through `link`. */
async function serviceWithSlowWorker(link: SlowLink, graceMs: number): Promise<RunningService> {
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const svc = await startService({
    tree: inject('tree'),
    stack,
    env: { RETRY_DELAY_MS: '300' },
    envFor: { api: { OPTIMIZER_URL: nowhere }, worker: { OPTIMIZER_URL: link.url, SHUTDOWN_GRACE_MS: String(graceMs) } },
  });
  link.target = svc.optimizerUrl;
  return svc;
}

describe('SIGTERM to the worker while its job fits in the grace period', () => {
  const graceMs = 8_000;
  let link: SlowLink;
  let svc: RunningService;
  beforeAll(async () => {
    link = await startSlowLink(1_500);
    svc = await serviceWithSlowWorker(link, graceMs);
  });
  afterAll(async () => {
    await svc?.stopAll();
    await link?.close();
  });

  it('04.worker-stop finishes the job in hand, takes no new job, exits 0, and a restarted worker does the rest', { timeout: 45_000 }, async () => {
    const first = await queueJob(svc, 'job-in-hand');
    const second = await queueJob(svc, 'job-waiting');
    // The worker has the first job once its call reaches the link (held there 1.5 s).
    const inHand = await poll(() => link.calls.find((call) => call.requestId === first.id), 10_000);
    if (!inHand) expect.fail(`the worker did not start the queued job within 10 s. Its last lines:\n${tail(svc, 'worker')}`);

    const { code, ms } = await terminateWorker(svc, graceMs);
    expect(code, exitMessage(svc, code, ms)).toBe(0);
    expect(ms, `the worker took ${ms} ms to exit, longer than SHUTDOWN_GRACE_MS=${graceMs}`).toBeLessThanOrEqual(graceMs + 500);

    expect(await statusOf(svc, first.statusUrl), 'the job in hand at SIGTERM, right after the worker exited: it had 8 s to finish a 1.5 s job').toBe('done');
    const started = link.calls.map((call) => call.requestId);
    expect(started, 'the jobs the worker started: after SIGTERM it must not take the next one (cancel the consumer first)').toEqual([first.id]);
    const queue = await queueDepth(svc, stack.rabbitmq.url);
    expect(queue, 'the retry queue after the exit: the waiting job is still in it, and nobody consumes').toEqual({ messageCount: 1, consumerCount: 0 });

    link.delayMs = 0;
    await svc.start('worker');
    const done = await poll(async () => ((await statusOf(svc, second.statusUrl)) === 'done' ? true : undefined), 10_000, 200);
    expect(done, `the restarted worker did not finish the job left in the queue within 10 s:\n${tail(svc, 'worker')}`).toBe(true);
  });
});

describe('SIGTERM to the worker while its job outlasts the grace period', () => {
  const graceMs = 600;
  let link: SlowLink;
  let svc: RunningService;
  beforeAll(async () => {
    link = await startSlowLink(8_000);
    svc = await serviceWithSlowWorker(link, graceMs);
  });
  afterAll(async () => {
    await svc?.stopAll();
    await link?.close();
  });

  it('04.worker-stop abandons a job that would outlast SHUTDOWN_GRACE_MS, puts it back in the queue and exits 0 in time', { timeout: 45_000 }, async () => {
    const job = await queueJob(svc, 'job-too-long');
    const inHand = await poll(() => link.calls.find((call) => call.requestId === job.id), 10_000);
    if (!inHand) expect.fail(`the worker did not start the queued job within 10 s. Its last lines:\n${tail(svc, 'worker')}`);

    const { code, ms } = await terminateWorker(svc, graceMs);
    expect(code, exitMessage(svc, code, ms)).toBe(0);
    expect(ms, `the worker took ${ms} ms to exit with SHUTDOWN_GRACE_MS=${graceMs}: at the deadline it must give the job up`).toBeLessThanOrEqual(graceMs + 1_000);
    expect(inHand.abandonedAt, 'the worker exited without cancelling its call to the optimizer').toBeDefined();

    // Not lost: back in the queue (nacked, or redelivered when the connection closed).
    const back = await poll(async () => ((await queueDepth(svc, stack.rabbitmq.url)).messageCount === 1 ? true : undefined), 2_000, 100);
    expect(back, 'the abandoned job is not back in the retry queue 2 s after the worker exited').toBe(true);
    expect(await statusOf(svc, job.statusUrl)).toBe('pending');

    link.delayMs = 0;
    await svc.start('worker');
    const done = await poll(async () => ((await statusOf(svc, job.statusUrl)) === 'done' ? true : undefined), 10_000, 200);
    expect(done, `the restarted worker did not finish the requeued job within 10 s:\n${tail(svc, 'worker')}`).toBe(true);
  });
});
