// Graceful shutdown of the HTTP processes: SIGTERM while requests are in flight. The uploads
// are held in flight by the test: each request is sent with `Expect: 100-continue`, so the
// server has received and taken it (it answered 100 Continue) but cannot finish it before
// the test sends the body, after the signal. Half of them come over keep-alive connections,
// as a browser's or a proxy's do, and one more keep-alive connection sits idle: a drain must
// close those itself rather than wait for them to time out. Then the listener must be gone at
// once, every request taken must be answered, and the process must exit 0 before its
// deadline, having closed its Redis and RabbitMQ connections (the harness's probe, preloaded
// into the process, reports the connections still open at exit).
// The deadline itself (work longer than SHUTDOWN_GRACE_MS) is drain-deadline.timing.test.ts.
import { Agent, Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { clientsLeftOpen, imageForm, outcomeOf, post, refusedWithin, tail, within, type Form, type PendingPost, type PostResult } from './lifecycle-helpers.ts';

// Generous: the optimizer must finish 20 images inside it even on a busy 2-core machine; a
// shutdown that does not wait fails at once whatever the deadline.
const graceMs = 15_000;
// Node's own idle timeout for a kept-alive connection: a drain that waits for it has not closed them.
const { keepAliveTimeout } = new Server();
const stack = inject('stack');
let svc: RunningService;
const agents: Agent[] = [];
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], env: { SHUTDOWN_GRACE_MS: String(graceMs) }, probe: true });
});
afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
});
afterAll(() => svc?.stopAll());

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true });
  agents.push(agent);
  return agent;
}

/** Waits until the server has taken every request (100 Continue), failing with which did not. */
async function allTaken(name: string, pending: PendingPost[]): Promise<void> {
  const taken = await Promise.all(pending.map((p) => within(p.continued.then(() => true), 10_000, false)));
  const missing = taken.flatMap((ok, i) => (ok ? [] : [i + 1]));
  if (missing.length > 0) expect.fail(`the ${name} did not take request(s) ${missing.join(', ')} of ${pending.length} within 10 s (no 100 Continue)`);
}

/** Holds `forms` in flight, every other one over a keep-alive connection. */
function holdInFlight(url: string, forms: Form[]): PendingPost[] {
  const agent = keepAliveAgent();
  return forms.map((form, i) => post(url, form, { holdBody: true, timeoutMs: graceMs + 10_000, ...(i % 2 === 0 && { agent }) }));
}

/** Sends SIGTERM; resolves to the exit code, how long the process took to exit, and when. */
function terminate(name: ProcessName): Promise<{ code: number | null; ms: number; exitedAt: number }> {
  const started = performance.now();
  // SIGKILL only well after the deadline: a process still there then has failed already.
  return svc.stop(name, 'SIGTERM', graceMs + 4_000).then((code) => ({ code, ms: Math.round(performance.now() - started), exitedAt: performance.now() }));
}

/** Sends the held bodies; resolves to each result and when the last one arrived. */
async function release(pending: PendingPost[]): Promise<{ results: PostResult[]; lastAt: number }> {
  let lastAt = 0;
  for (const p of pending) p.sendBody();
  const results = await Promise.all(pending.map((p) => p.result.finally(() => (lastAt = performance.now()))));
  return { results, lastAt };
}

function exitChecks(name: ProcessName, { code, ms, exitedAt }: { code: number | null; ms: number; exitedAt: number }, lastAt: number): void {
  expect(code, `the ${name} exited with ${code === null ? 'no code (killed by a signal)' : `code ${code}`} after ${ms} ms: a graceful shutdown ends with process.exit(0). Its last lines:\n${tail(svc, name)}`).toBe(0);
  expect(ms, `the ${name} took ${ms} ms to exit, longer than SHUTDOWN_GRACE_MS=${graceMs}`).toBeLessThanOrEqual(graceMs + 500);
  const lingerMs = Math.round(exitedAt - lastAt);
  expect(
    lingerMs,
    `the ${name} exited ${lingerMs} ms after its last answer: it waited for its kept-alive connections to time out (Node's keepAliveTimeout, ${keepAliveTimeout} ms). ` +
      'Answer the requests in flight with Connection: close and close the idle connections (server.closeIdleConnections())',
  ).toBeLessThan(keepAliveTimeout / 2);
}

describe('SIGTERM with requests in flight', () => {
  it('04.drain the API refuses new connections at once, answers all 20 uploads in flight, closes its Redis and RabbitMQ connections and exits 0 within SHUTDOWN_GRACE_MS', { timeout: 45_000 }, async () => {
    const image = await photoJpeg(800, 600);
    // One upload first, on a connection that stays open and idle: the first one pays for the
    // API's connections to MinIO and the optimizer.
    const warm = await post(`${svc.apiUrl}/upload`, await imageForm(image, 'drain warm-up'), { agent: keepAliveAgent() }).result;
    expect(outcomeOf(warm), 'the warm-up upload').toBe('200');

    // 20 cache misses (each its own text): every one will go through MinIO and the optimizer.
    const forms = await Promise.all(Array.from({ length: 20 }, (_, i) => imageForm(image, `drain ${i + 1}`)));
    const uploads = holdInFlight(`${svc.apiUrl}/upload`, forms);
    await allTaken('API', uploads);

    const exit = terminate('api');
    const listener = await refusedWithin(svc.apiUrl, 1_000);
    expect(listener, `1 s after SIGTERM a new connection to the API still got "${listener}": close the listener first (server.close())`).toBe('refused');

    const { results, lastAt } = await release(uploads);
    const failed = results.map(outcomeOf).flatMap((outcome, i) => (outcome === '200' || outcome === '202' ? [] : [`#${i + 1}: ${outcome}`]));
    if (failed.length > 0) {
      expect.fail(`${failed.length} of the 20 uploads in flight at SIGTERM were not answered 200 or 202 (${failed.join(', ')}): the shutdown did not wait for them. API's last lines:\n${tail(svc, 'api')}`);
    }
    exitChecks('api', await exit, lastAt);
    const { open } = clientsLeftOpen(svc, 'api', stack);
    expect(open, `the API exited with its ${open.join(' and ')} connection(s) still open: close the clients (publisher.close(), redis.quit()) before process.exit`).toEqual([]);
  });

  it('04.drain the optimizer finishes the images it accepted, refuses new connections and exits 0 within SHUTDOWN_GRACE_MS', { timeout: 45_000 }, async () => {
    const image = await photoJpeg(1600, 1200);
    const idle = await post(`${svc.optimizerUrl}/optimize`, await imageForm(image, 'optimizer drain warm-up'), { agent: keepAliveAgent() }).result;
    expect(outcomeOf(idle), 'the warm-up image').toBe('200');
    const forms = await Promise.all(Array.from({ length: 4 }, (_, i) => imageForm(image, `optimizer drain ${i + 1}`)));
    const calls = holdInFlight(`${svc.optimizerUrl}/optimize`, forms);
    await allTaken('optimizer', calls);

    const exit = terminate('optimizer');
    const listener = await refusedWithin(svc.optimizerUrl, 1_000);
    expect(listener, `1 s after SIGTERM a new connection to the optimizer still got "${listener}"`).toBe('refused');

    const { results, lastAt } = await release(calls);
    const failed = results.flatMap((result, i) => ('error' in result || result.status !== 200 ? [`#${i + 1}: ${outcomeOf(result)}`] : []));
    if (failed.length > 0) expect.fail(`${failed.length} of the 4 images accepted before SIGTERM got no watermarked answer (${failed.join(', ')}). Optimizer's last lines:\n${tail(svc, 'optimizer')}`);
    for (const result of results) if (!('error' in result)) expect(result.headers['content-type']).toMatch(/^image\/jpeg/);
    exitChecks('optimizer', await exit, lastAt);
  });
});
