// 07.ready: the API's links to Redis, MinIO and RabbitMQ each go through a Toxiproxy proxy of
// the test's own, cut one at a time while the shared servers keep running: black-holed (a
// `timeout` toxic with timeout 0: the connection stays open, nothing gets through) and, for
// Redis, refused (the proxy disabled). GET /ready must answer 503 naming exactly the link that
// was cut, after READY_CHECK_TIMEOUT_MS and not much later (tested at 300 and 1 200 ms: a
// fixed timeout, or none, cannot pass both), and 200 again once the link is back. Then two
// links, and all three, black-holed at once: still one timeout (checks run together, not one
// after another), `failed` naming exactly those. A *.timing
// file: the bounds are read against the clock.
import { randomInt } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { get } from '../../../shared/harness/upload.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { addToxic, createProxy, deleteProxy, proxiedUrl, removeToxic, setProxyEnabled, type CreatedProxy } from '../../../shared/stack/toxiproxy.ts';
import type { ProxiedService } from '../../../shared/stack/types.ts';
import { untilReady } from './metrics-helpers.ts';

const stack = inject('stack');
const settings = [300, 1200];
/** How long past READY_CHECK_TIMEOUT_MS an answer may come, on a busy machine. */
const MARGIN_MS = 700;
const dependencies = ['redis', 'minio', 'rabbitmq'] as const satisfies readonly ProxiedService[];

interface ReadyBody {
  status?: string;
  failed?: string[];
  checks?: Record<string, { ok?: boolean; error?: string }>;
}

const started: Array<{ svc?: RunningService; proxies: CreatedProxy[] }> = [];
afterAll(async () => {
  await Promise.all(started.map(({ svc }) => svc?.stopAll()));
  await Promise.all(started.flatMap(({ proxies }) => proxies.map((proxy) => deleteProxy(stack.toxiproxy, proxy.name).catch(() => {}))));
});

async function ready(svc: RunningService, timeoutMs: number): Promise<{ status: number; body: ReadyBody; ms: number }> {
  const sentAt = performance.now();
  const answer = await get(`${svc.apiUrl}/ready`, undefined, timeoutMs).catch((error: Error) =>
    expect.fail(`GET /ready gave no answer: ${error.message}. Each dependency's check must be bounded by READY_CHECK_TIMEOUT_MS`),
  );
  const ms = performance.now() - sentAt;
  let body: ReadyBody = {};
  try {
    body = answer.json<ReadyBody>();
  } catch {
    expect.fail(`GET /ready answered ${answer.status} with a body that is not JSON: ${answer.body.toString().slice(0, 160)}`);
  }
  return { status: answer.status, body, ms };
}

function expectNamed(answer: { status: number; body: ReadyBody }, dependency: string, how: string): void {
  expect(answer.status, `GET /ready with the ${dependency} link ${how}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(503);
  expect(answer.body.failed, `GET /ready's JSON with the ${dependency} link ${how} must list what failed in \`failed\`: exactly ["${dependency}"] (got ${JSON.stringify(answer.body).slice(0, 300)})`).toEqual([dependency]);
}

describe('GET /ready with one dependency link cut', () => {
  for (const timeoutMs of settings) {
    it(`07.ready answers 503 naming the black-holed link (redis, minio, rabbitmq) after READY_CHECK_TIMEOUT_MS (${timeoutMs} ms) and within ${MARGIN_MS} ms more, names a refused Redis as fast, two and three links black-holed at once within one timeout, and 200 again once each link is back`, { timeout: 120_000 }, async () => {
      const entry: { svc?: RunningService; proxies: CreatedProxy[] } = { proxies: [] };
      started.push(entry);
      const suffix = `${timeoutMs}-${Math.random().toString(36).slice(2, 8)}`;
      const proxy: Record<string, CreatedProxy> = {};
      for (const dependency of dependencies) {
        proxy[dependency] = await createProxy(stack.toxiproxy, `lab07-ready-${dependency}-${suffix}`, dependency);
        entry.proxies.push(proxy[dependency]);
      }
      const svc = await startService({
        tree: inject('tree'),
        stack,
        processes: ['api'],
        env: {
          REDIS_URL: proxiedUrl(stack.redis.url, proxy.redis!),
          S3_ENDPOINT: proxiedUrl(stack.minio.endpoint, proxy.minio!),
          AMQP_URL: proxiedUrl(stack.rabbitmq.url, proxy.rabbitmq!),
          READY_CHECK_TIMEOUT_MS: String(timeoutMs),
        },
      });
      entry.svc = svc;

      const healthy = await ready(svc, 10_000);
      expect(healthy.status, `GET /ready with every link intact: ${JSON.stringify(healthy.body).slice(0, 300)}`).toBe(200);
      expect(Object.keys(healthy.body.checks ?? {}).sort(), `GET /ready's JSON must report each dependency it checked under \`checks\``).toEqual(expect.arrayContaining(['minio', 'rabbitmq', 'redis']));
      expect(healthy.body.failed ?? [], 'GET /ready with every link intact lists nothing under `failed`').toEqual([]);

      for (const dependency of dependencies) {
        const name = proxy[dependency]!.name;
        // Black hole: the connection stays up, nothing gets through.
        await addToxic(stack.toxiproxy, name, { name: 'blackhole', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
        const cut = await ready(svc, timeoutMs + MARGIN_MS + 3_000);
        expectNamed(cut, dependency, 'black-holed');
        expect(cut.ms, `GET /ready with ${dependency} black-holed answered after ${cut.ms.toFixed(0)} ms: it must give the check READY_CHECK_TIMEOUT_MS (${timeoutMs} ms) before it calls ${dependency} failed`).toBeGreaterThanOrEqual(timeoutMs - 30);
        expect(cut.ms, `GET /ready with ${dependency} black-holed answered after ${cut.ms.toFixed(0)} ms: bound each check by READY_CHECK_TIMEOUT_MS (${timeoutMs} ms), the answer within ${MARGIN_MS} ms of it`).toBeLessThanOrEqual(timeoutMs + MARGIN_MS);
        // Back: the toxic goes, and the connections that lost bytes to it are closed.
        await removeToxic(stack.toxiproxy, name, 'blackhole');
        await setProxyEnabled(stack.toxiproxy, name, false);
        await setProxyEnabled(stack.toxiproxy, name, true);
        await untilReady(svc, `the ${dependency} link came back`);
      }

      // Several at once: each check has its own timeout and they run together, so two or three
      // hung links cost the probe one timeout, not one per link.
      const pairs = [['redis', 'rabbitmq'], ['minio', 'rabbitmq'], ['redis', 'minio']] as const;
      for (const cutNow of [pairs[randomInt(pairs.length)]!, dependencies]) {
        for (const dependency of cutNow) await addToxic(stack.toxiproxy, proxy[dependency]!.name, { name: 'blackhole', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
        const cut = await ready(svc, cutNow.length * timeoutMs + MARGIN_MS + 3_000);
        const what = cutNow.join(' and ');
        expect(cut.status, `GET /ready with ${what} black-holed together: ${JSON.stringify(cut.body).slice(0, 300)}`).toBe(503);
        expect([...(cut.body.failed ?? [])].sort(), `GET /ready's \`failed\` with ${what} black-holed together must name exactly those (got ${JSON.stringify(cut.body).slice(0, 300)})`).toEqual([...cutNow].sort());
        expect(cut.ms, `GET /ready with ${what} black-holed together answered after ${cut.ms.toFixed(0)} ms: run the checks at once, each bounded by READY_CHECK_TIMEOUT_MS (${timeoutMs} ms); the answer within ${MARGIN_MS} ms of one timeout, not one per link`).toBeLessThanOrEqual(timeoutMs + MARGIN_MS);
        for (const dependency of cutNow) {
          const name = proxy[dependency]!.name;
          await removeToxic(stack.toxiproxy, name, 'blackhole');
          await setProxyEnabled(stack.toxiproxy, name, false);
          await setProxyEnabled(stack.toxiproxy, name, true);
        }
        await untilReady(svc, `the ${what} links came back`);
      }

      // Refused: the proxy closes its connections and refuses new ones.
      await setProxyEnabled(stack.toxiproxy, proxy.redis!.name, false);
      const refused = await ready(svc, timeoutMs + MARGIN_MS + 3_000);
      expectNamed(refused, 'redis', 'refused');
      expect(refused.ms, `GET /ready with the Redis link refused answered after ${refused.ms.toFixed(0)} ms (limit ${timeoutMs} + ${MARGIN_MS} ms)`).toBeLessThanOrEqual(timeoutMs + MARGIN_MS);
      await setProxyEnabled(stack.toxiproxy, proxy.redis!.name, true);
      await untilReady(svc, 'the Redis link was enabled again');
    });
  }
});
