// Graceful shutdown of the retry worker: SIGTERM in the middle of a job. Jobs are queued the
// way production queues them, by uploads while the API cannot reach an optimizer; the worker
// reaches the real optimizer through a slow link, so a job stays "in hand" for as long as the
// test needs, and the link tells exactly when the worker started it and whether it gave it up.
// What happened to the jobs is read from the servers, not from the worker: finished means its
// image is in Redis, "not lost" means its message is in the RabbitMQ queue; and the harness's
// probe, preloaded into the worker, reports the connections it left open at exit.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { freePort } from '../../../shared/harness/ports.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { clientsLeftOpen, freshRequestId, keysOf, poll, queueDepth, queuedJobs, startSlowLink, tail, type SlowLink } from './lifecycle-helpers.ts';

const stack = inject('stack');

/** Queues one job: an upload while the API's optimizer is unreachable answers 202. */
async function queueJob(svc: RunningService, what: string): Promise<{ id: string; cacheKey: string }> {
  const id = freshRequestId(what);
  const result = await upload(svc.apiUrl, { image: await photoJpeg(640, 480), wmText: `${what} ${id}`, headers: { 'x-request-id': id }, signal: AbortSignal.timeout(10_000) });
  expect(result.status, `queueing a job: the API answered ${result.status} ${result.body.toString().slice(0, 200)}`).toBe(202);
  return { id, cacheKey: result.json<{ statusUrl: string }>().statusUrl.replace('/status/', '') };
}

/** Whether the job's image is in Redis (the worker stored its result). */
async function isDone(svc: RunningService, cacheKey: string): Promise<boolean> {
  return (await keysOf(svc, stack.redis.url)).includes(`${svc.prefix}img:${cacheKey}`);
}

/** Polls Redis until the job's image is there; fails with the worker's last lines otherwise. */
async function expectDoneWithin(svc: RunningService, cacheKey: string, ms: number, what: string): Promise<void> {
  const done = await poll(async () => ((await isDone(svc, cacheKey)) ? true : undefined), ms, 200);
  if (!done) expect.fail(`${what}: its image is not in Redis ${ms / 1_000} s later:\n${tail(svc, 'worker')}`);
}

/** The cache keys of the jobs waiting in the queue, read from RabbitMQ. */
async function jobsInQueue(svc: RunningService): Promise<string[]> {
  return (await queuedJobs(svc, stack.rabbitmq.url)).map((job) => job.cacheKey ?? '?');
}

function expectClientsClosed(svc: RunningService): void {
  const { open } = clientsLeftOpen(svc, 'worker', stack);
  expect(open, `the worker exited with its ${open.join(' and ')} connection(s) still open: close them (consumer.stop() closes RabbitMQ, then redis.quit())`).toEqual([]);
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
    probe: true,
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

    const exit = terminateWorker(svc, graceMs);
    // The subscription goes first, while the job is still in hand (held at the link): the
    // broker must see no consumer on the queue before the job is done.
    const cancelled = await poll(async () => ((await queueDepth(svc, stack.rabbitmq.url)).consumerCount === 0 ? true : undefined), link.delayMs, 50);
    expect(cancelled && inHand.forwardedAt === undefined, 'the worker still consumed from the queue while it finished the job in hand: on SIGTERM cancel the subscription first (channel.cancel(consumerTag))').toBe(true);
    const { code, ms } = await exit;
    expect(code, exitMessage(svc, code, ms)).toBe(0);
    expect(ms, `the worker took ${ms} ms to exit, longer than SHUTDOWN_GRACE_MS=${graceMs}`).toBeLessThanOrEqual(graceMs + 500);

    expect(await isDone(svc, first.cacheKey), `the job in hand at SIGTERM is not finished (no image in Redis) when the worker exited: it had ${graceMs / 1_000} s to finish a ${link.delayMs / 1_000} s job`).toBe(true);
    const started = link.calls.map((call) => call.requestId);
    expect(started, 'the jobs the worker started: after SIGTERM it must not take the next one (cancel the consumer first)').toEqual([first.id]);
    expect(await jobsInQueue(svc), 'the retry queue after the exit (cache keys): the waiting job, and only it, is still in it').toEqual([second.cacheKey]);
    expect((await queueDepth(svc, stack.rabbitmq.url)).consumerCount, 'consumers on the retry queue after the exit').toBe(0);
    expectClientsClosed(svc);

    link.delayMs = 0;
    await svc.start('worker');
    await expectDoneWithin(svc, second.cacheKey, 10_000, 'the restarted worker did not finish the job left in the queue');
  });
});

describe('SIGTERM to the worker while its job outlasts the grace period', () => {
  // Two settings a hard-coded deadline cannot both satisfy: they are further apart than the slack.
  const settings = [600, 2_000];
  const slackMs = 1_000;
  const services = new Map<number, { link: SlowLink; svc: RunningService }>();
  beforeAll(async () => {
    await Promise.all(
      settings.map(async (graceMs) => {
        const link = await startSlowLink(4 * Math.max(...settings));
        services.set(graceMs, { link, svc: await serviceWithSlowWorker(link, graceMs) });
      }),
    );
  }, 60_000);
  afterAll(async () => {
    for (const { link, svc } of services.values()) {
      await svc.stopAll();
      await link.close();
    }
  });

  it.each(settings)(`04.worker-stop with SHUTDOWN_GRACE_MS=%i abandons a job that would outlast it at the deadline (not before, within ${slackMs} ms after), puts it back in the queue and exits 0`, { timeout: 45_000 }, async (graceMs) => {
    const { link, svc } = services.get(graceMs)!;
    const job = await queueJob(svc, 'job-too-long');
    const inHand = await poll(() => link.calls.find((call) => call.requestId === job.id), 10_000);
    if (!inHand) expect.fail(`the worker did not start the queued job within 10 s. Its last lines:\n${tail(svc, 'worker')}`);

    const { code, ms } = await terminateWorker(svc, graceMs);
    expect(code, exitMessage(svc, code, ms)).toBe(0);
    expect(ms, `the worker exited ${ms} ms after SIGTERM, before SHUTDOWN_GRACE_MS=${graceMs} was up: the job in hand gets until the deadline`).toBeGreaterThanOrEqual(graceMs);
    expect(ms, `the worker took ${ms} ms to exit with SHUTDOWN_GRACE_MS=${graceMs}: at the deadline it must give the job up`).toBeLessThanOrEqual(graceMs + slackMs);
    expect(inHand.abandonedAt, 'the worker exited without cancelling its call to the optimizer').toBeDefined();
    expectClientsClosed(svc);

    // Not lost: back in the queue (nacked, or redelivered when the connection closed).
    const back = await poll(async () => ((await jobsInQueue(svc)).includes(job.cacheKey) ? true : undefined), 2_000, 100);
    expect(back, 'the abandoned job is not back in the retry queue 2 s after the worker exited').toBe(true);
    expect(await isDone(svc, job.cacheKey), 'the abandoned job has an image in Redis').toBe(false);

    link.delayMs = 0;
    await svc.start('worker');
    await expectDoneWithin(svc, job.cacheKey, 10_000, 'the restarted worker did not finish the requeued job');
  });
});
