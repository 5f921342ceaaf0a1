// 05.redis-down: the API's link to Redis goes through a Toxiproxy proxy of its own, cut two
// ways while the shared Redis keeps running: black-holed (a `timeout` toxic with timeout 0:
// connections stay open, nothing comes back) and refused (the proxy disabled: connections
// closed, new ones refused). The documented policy is to fail closed: every upload is answered
// 503 with Retry-After, after the limiter has waited RATE_LIMIT_REDIS_TIMEOUT_MS and not much
// longer (tested at 300 and 1 500 ms), never a 500 and never a hang; pages that need no
// limiter still answer; uploads pass again once the link is back. A *.timing file: the bounds
// are read against the clock.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { tinyImage } from '../../../shared/fixtures/images.ts';
import { get } from '../../../shared/harness/upload.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { createProxy, deleteProxy, type CreatedProxy } from '../../../shared/stack/toxiproxy.ts';
import { send, sleep, statusCounts, uploadForm, type Answer } from './limit-helpers.ts';

const stack = inject('stack');
const settings = [300, 1500];
/** How long past RATE_LIMIT_REDIS_TIMEOUT_MS an answer may come, on a busy machine. */
const MARGIN_MS = 700;

const started: Array<{ svc: RunningService; proxy: CreatedProxy }> = [];
afterAll(async () => {
  await Promise.all(started.map(({ svc }) => svc.stopAll()));
  await Promise.all(started.map(({ proxy }) => deleteProxy(stack.toxiproxy, proxy.name).catch(() => {})));
});

async function toxiproxy(method: string, path: string, body?: unknown): Promise<void> {
  const url = `${stack.toxiproxy.apiUrl}${path}`;
  const response = await fetch(url, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5_000),
  }).catch((error: unknown) => expect.fail(`Toxiproxy (${method} ${url}) did not answer within 5 s: ${String(error)}`));
  const text = await response.text();
  if (!response.ok) expect.fail(`Toxiproxy ${method} ${path} answered ${response.status}: ${text}`);
}

/** `count` uploads at once, each timed from its send. */
async function timedUploads(svc: RunningService, form: Awaited<ReturnType<typeof uploadForm>>, count: number, timeoutMs: number): Promise<Array<Answer & { ms: number }>> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const sentAt = performance.now();
      const answer = await send(svc, form, { timeoutMs }).catch((error: Error) => expect.fail(`an upload with the Redis link cut: ${error.message}: the limiter must bound its Redis call (RATE_LIMIT_REDIS_TIMEOUT_MS) and answer`));
      return { ...answer, ms: performance.now() - sentAt };
    }),
  );
}

function expectFailedClosed(answers: Array<Answer & { ms: number }>, how: string): void {
  for (const answer of answers) {
    expect(answer.status, `an upload with the Redis link ${how}: ${statusCounts(answers)} (${answer.body.slice(0, 160)}). The documented policy is to fail closed: 503, never a 500`).toBe(503);
    const retryAfter = Number(answer.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1, `the 503 with the Redis link ${how} must carry Retry-After in whole seconds (got ${JSON.stringify(answer.headers['retry-after'])})`).toBe(true);
  }
}

describe('the API with its Redis link cut', () => {
  for (const timeoutMs of settings) {
    it(`05.redis-down answers uploads 503 with Retry-After within RATE_LIMIT_REDIS_TIMEOUT_MS (${timeoutMs} ms) + ${MARGIN_MS} ms, black-holed or refused, and lets them through again once Redis is back`, { timeout: 60_000 }, async () => {
      const proxy = await createProxy(stack.toxiproxy, `lab05-redis-${timeoutMs}-${Math.random().toString(36).slice(2, 8)}`, 'redis');
      const svc = await startService({
        tree: inject('tree'),
        stack,
        processes: ['api', 'optimizer'],
        env: { REDIS_URL: `redis://${proxy.host}:${proxy.port}`, RATE_LIMIT_REDIS_TIMEOUT_MS: String(timeoutMs) },
      });
      started.push({ svc, proxy });
      const form = await uploadForm(await tinyImage(), `redis down ${timeoutMs} ${svc.prefix}`);
      const healthy = await send(svc, form);
      expect(healthy.status, `an upload with the Redis link intact: ${healthy.body.slice(0, 160)}`).toBe(200);

      // Black hole: the connection stays up, nothing comes back.
      await toxiproxy('POST', `/proxies/${proxy.name}/toxics`, { name: 'blackhole', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
      const blackholed = await timedUploads(svc, form, 3, timeoutMs + MARGIN_MS + 1_500);
      expectFailedClosed(blackholed, 'black-holed');
      for (const { ms } of blackholed) {
        expect(ms, `an upload with Redis black-holed was answered after ${ms.toFixed(0)} ms: the limiter must wait RATE_LIMIT_REDIS_TIMEOUT_MS (${timeoutMs} ms) for Redis, and answer soon after (within ${MARGIN_MS} ms)`).toBeGreaterThanOrEqual(timeoutMs - 30);
        expect(ms, `an upload with Redis black-holed was answered after ${ms.toFixed(0)} ms: bound the Redis call by RATE_LIMIT_REDIS_TIMEOUT_MS (${timeoutMs} ms)`).toBeLessThanOrEqual(timeoutMs + MARGIN_MS);
      }
      const page = await get(`${svc.apiUrl}/`, undefined, 3_000);
      expect(page.status, 'the web page, which needs no limiter, while Redis is black-holed').toBe(200);

      // Refused: the proxy closes its connections and refuses new ones.
      await toxiproxy('DELETE', `/proxies/${proxy.name}/toxics/blackhole`);
      await toxiproxy('POST', `/proxies/${proxy.name}`, { enabled: false });
      const refused = await timedUploads(svc, form, 3, timeoutMs + MARGIN_MS + 1_500);
      expectFailedClosed(refused, 'refused');
      for (const { ms } of refused) {
        expect(ms, `an upload with the Redis link refused was answered after ${ms.toFixed(0)} ms (limit ${timeoutMs} + ${MARGIN_MS} ms)`).toBeLessThanOrEqual(timeoutMs + MARGIN_MS);
      }

      // Back: uploads pass again, without a restart.
      await toxiproxy('POST', `/proxies/${proxy.name}`, { enabled: true });
      let last: Answer | undefined;
      for (const deadline = performance.now() + 10_000; performance.now() < deadline; await sleep(200)) {
        last = await send(svc, form);
        if (last.status === 200) break;
      }
      expect(last?.status, `an upload within 10 s of the Redis link coming back: ${last?.body.slice(0, 160)}`).toBe(200);
    });
  }
});
