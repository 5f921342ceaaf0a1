// 07.health: liveness is about the process, not its dependencies. With the API's Redis, MinIO
// and RabbitMQ links each black-holed in turn, and Redis refused (Toxiproxy proxies of the
// test's own; the shared servers keep running), /health still answers 200 on the public and
// the admin port, well before the readiness checks' timeout, while /ready (same process, same
// moment) names the dependency that failed.
// 07.ready, the drain: from the moment SIGTERM starts lab 04's drain (an upload is held in
// flight so the drain lasts), the admin port's /ready answers 503 "draining".
import { request } from 'node:http';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { get } from '../../../shared/harness/upload.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { addToxic, createProxy, deleteProxy, proxiedUrl, removeToxic, setProxyEnabled, type CreatedProxy } from '../../../shared/stack/toxiproxy.ts';
import type { ProxiedService } from '../../../shared/stack/types.ts';
import { sleep, tail, untilReady } from './metrics-helpers.ts';

const stack = inject('stack');
const CHECK_TIMEOUT_MS = 2_000;
/** How soon after SIGTERM the admin port's /ready must say "draining" (the signal's delivery and one probe, on a busy machine). */
const DRAIN_READY_MS = 500;
const dependencies = ['redis', 'minio', 'rabbitmq'] as const satisfies readonly ProxiedService[];

const services: RunningService[] = [];
const proxies: CreatedProxy[] = [];
afterAll(async () => {
  await Promise.all(services.map((svc) => svc.stopAll()));
  await Promise.all(proxies.map((proxy) => deleteProxy(stack.toxiproxy, proxy.name).catch(() => {})));
});

async function timedGet(url: string, timeoutMs: number): Promise<{ status: number; body: string; ms: number }> {
  const sentAt = performance.now();
  const answer = await get(url, undefined, timeoutMs).catch((error: Error) => expect.fail(`GET ${url}: ${error.message}`));
  return { status: answer.status, body: answer.body.toString(), ms: performance.now() - sentAt };
}

describe('GET /health while a dependency is down', () => {
  it(`07.health answers 200 on the public and the admin port with Redis, MinIO and RabbitMQ each black-holed in turn and Redis refused, within half of READY_CHECK_TIMEOUT_MS (${CHECK_TIMEOUT_MS} ms), while /ready names the one that failed`, { timeout: 90_000 }, async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const proxy: Record<string, CreatedProxy> = {};
    for (const dependency of dependencies) {
      proxy[dependency] = await createProxy(stack.toxiproxy, `lab07-health-${dependency}-${suffix}`, dependency);
      proxies.push(proxy[dependency]);
    }
    const svc = await startService({
      tree: inject('tree'),
      stack,
      processes: ['api'],
      env: {
        REDIS_URL: proxiedUrl(stack.redis.url, proxy.redis!),
        S3_ENDPOINT: proxiedUrl(stack.minio.endpoint, proxy.minio!),
        AMQP_URL: proxiedUrl(stack.rabbitmq.url, proxy.rabbitmq!),
        READY_CHECK_TIMEOUT_MS: String(CHECK_TIMEOUT_MS),
      },
    });
    services.push(svc);
    const urls = [`${svc.apiUrl}/health`, `${svc.adminUrl.api}/health`];
    for (const url of urls) {
      const healthy = await timedGet(url, 5_000);
      expect(healthy.status, `GET ${url} with every dependency up: ${healthy.body.slice(0, 160)}`).toBe(200);
    }

    const blackHole = (dependency: ProxiedService) => ({
      dependency,
      how: 'black-holed',
      cut: () => addToxic(stack.toxiproxy, proxy[dependency]!.name, { name: 'blackhole', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } }),
      heal: async () => {
        await removeToxic(stack.toxiproxy, proxy[dependency]!.name, 'blackhole');
        await setProxyEnabled(stack.toxiproxy, proxy[dependency]!.name, false);
        await setProxyEnabled(stack.toxiproxy, proxy[dependency]!.name, true);
      },
    });
    const cuts: Array<{ dependency: ProxiedService; how: string; cut: () => Promise<void>; heal: () => Promise<void> }> = [
      ...dependencies.map(blackHole),
      { dependency: 'redis', how: 'refused', cut: () => setProxyEnabled(stack.toxiproxy, proxy.redis!.name, false), heal: () => setProxyEnabled(stack.toxiproxy, proxy.redis!.name, true) },
    ];
    for (const { dependency, how, cut, heal } of cuts) {
      await cut();
      // All at once: /ready waits for its check of the cut link, /health must not.
      const [readiness, ...liveness] = await Promise.all([timedGet(`${svc.apiUrl}/ready`, CHECK_TIMEOUT_MS + 5_000), ...urls.map((url) => timedGet(url, CHECK_TIMEOUT_MS + 5_000))]);
      expect(readiness.status, `GET /ready with ${dependency} ${how} must say so (503) — the link really is cut: ${readiness.body.slice(0, 200)}`).toBe(503);
      expect(readiness.body, `GET /ready with ${dependency} ${how} must name it in \`failed\``).toContain(`"${dependency}"`);
      for (const [i, answer] of liveness.entries()) {
        expect(answer.status, `GET ${urls[i]} with ${dependency} ${how}: ${answer.body.slice(0, 200)}. Liveness is about the process: a restart cannot fix ${dependency}`).toBe(200);
        expect(answer.ms, `GET ${urls[i]} with ${dependency} ${how} took ${answer.ms.toFixed(0)} ms: /health must not wait on a dependency (READY_CHECK_TIMEOUT_MS is ${CHECK_TIMEOUT_MS} ms)`).toBeLessThan(CHECK_TIMEOUT_MS / 2);
      }
      await heal();
      await untilReady(svc, `the ${dependency} link came back`);
    }
  });
});

/** An upload whose body never ends: it keeps the drain going until it is destroyed. */
function holdUpload(apiUrl: string): { release(): void } {
  const url = new URL(`${apiUrl}/upload`);
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=held', 'content-length': '1000000' } });
  req.on('error', () => {});
  req.write('--held\r\nContent-Disposition: form-data; name="image"; filename="held.jpg"\r\nContent-Type: image/jpeg\r\n\r\n');
  return { release: () => req.destroy() };
}

describe('GET /ready during the shutdown drain', () => {
  it(`07.ready answers 503 "draining" on the admin port within ${DRAIN_READY_MS} ms of SIGTERM (the drain's start), while an upload is still in flight`, { timeout: 60_000 }, async () => {
    const graceMs = 8_000;
    const svc = await startService({ tree: inject('tree'), stack, processes: ['api'], env: { SHUTDOWN_GRACE_MS: String(graceMs) } });
    services.push(svc);
    const readyUrl = `${svc.adminUrl.api}/ready`;
    const before = await timedGet(readyUrl, 5_000);
    expect(before.status, `GET ${readyUrl} (the admin port) before SIGTERM: ${before.body.slice(0, 200)}`).toBe(200);

    const held = holdUpload(svc.apiUrl);
    await sleep(300);
    const signalledAt = performance.now();
    const exited = svc.stop('api', 'SIGTERM', graceMs + 4_000);
    try {
      let last: { status: number; body: string } | undefined;
      let afterMs = 0;
      for (const deadline = signalledAt + DRAIN_READY_MS; performance.now() < deadline; await sleep(25)) {
        last = await timedGet(readyUrl, 3_000).catch(() => undefined);
        afterMs = performance.now() - signalledAt;
        if (last?.status === 503) break;
      }
      expect(last?.status, `GET ${readyUrl} within ${DRAIN_READY_MS} ms of SIGTERM, with an upload still in flight (the drain lasts up to SHUTDOWN_GRACE_MS): ${last?.body.slice(0, 200)}. A draining process must not get new traffic: /ready is false from the drain's first moment. API's last lines:\n${tail(svc, 'api')}`).toBe(503);
      expect(afterMs, `GET ${readyUrl} first answered 503 ${afterMs.toFixed(0)} ms after SIGTERM`).toBeLessThanOrEqual(DRAIN_READY_MS);
      expect(last?.body ?? '', `GET ${readyUrl} during the drain must say why: "draining"`).toMatch(/draining/);
    } finally {
      held.release();
      await exited;
    }
  });
});
