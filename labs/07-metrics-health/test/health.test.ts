// 07.health: liveness is about the process, not its dependencies. With the API's Redis link
// black-holed and then refused (a Toxiproxy proxy of the test's own; the shared Redis keeps
// running), /health still answers 200 on the public and the admin port, well before the
// readiness checks' timeout, while /ready (same process, same moment) says Redis failed.
// 07.ready, the drain: from the moment SIGTERM starts lab 04's drain (an upload is held in
// flight so the drain lasts), the admin port's /ready answers 503 "draining".
import { request } from 'node:http';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { get } from '../../../shared/harness/upload.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { addToxic, createProxy, deleteProxy, removeToxic, setProxyEnabled, type CreatedProxy } from '../../../shared/stack/toxiproxy.ts';
import { sleep, tail } from './metrics-helpers.ts';

const stack = inject('stack');
const CHECK_TIMEOUT_MS = 2_000;

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
  it(`07.health answers 200 on the public and the admin port with Redis black-holed and refused, within half of READY_CHECK_TIMEOUT_MS (${CHECK_TIMEOUT_MS} ms), while /ready says redis failed`, { timeout: 60_000 }, async () => {
    const proxy = await createProxy(stack.toxiproxy, `lab07-health-${Math.random().toString(36).slice(2, 8)}`, 'redis');
    proxies.push(proxy);
    const svc = await startService({ tree: inject('tree'), stack, processes: ['api'], env: { REDIS_URL: `redis://${proxy.host}:${proxy.port}`, READY_CHECK_TIMEOUT_MS: String(CHECK_TIMEOUT_MS) } });
    services.push(svc);
    const urls = [`${svc.apiUrl}/health`, `${svc.adminUrl.api}/health`];
    for (const url of urls) {
      const healthy = await timedGet(url, 5_000);
      expect(healthy.status, `GET ${url} with every dependency up: ${healthy.body.slice(0, 160)}`).toBe(200);
    }

    const cuts: Array<{ how: string; cut: () => Promise<void>; heal: () => Promise<void> }> = [
      {
        how: 'black-holed',
        cut: () => addToxic(stack.toxiproxy, proxy.name, { name: 'blackhole', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } }),
        heal: async () => {
          await removeToxic(stack.toxiproxy, proxy.name, 'blackhole');
          await setProxyEnabled(stack.toxiproxy, proxy.name, false);
          await setProxyEnabled(stack.toxiproxy, proxy.name, true);
        },
      },
      { how: 'refused', cut: () => setProxyEnabled(stack.toxiproxy, proxy.name, false), heal: () => setProxyEnabled(stack.toxiproxy, proxy.name, true) },
    ];
    for (const { how, cut, heal } of cuts) {
      await cut();
      // Both at once: /ready waits for its Redis check, /health must not.
      const [readiness, ...liveness] = await Promise.all([timedGet(`${svc.apiUrl}/ready`, CHECK_TIMEOUT_MS + 5_000), ...urls.map((url) => timedGet(url, CHECK_TIMEOUT_MS + 5_000))]);
      expect(readiness.status, `GET /ready with Redis ${how} must say so (503) — the link really is cut: ${readiness.body.slice(0, 200)}`).toBe(503);
      for (const [i, answer] of liveness.entries()) {
        expect(answer.status, `GET ${urls[i]} with Redis ${how}: ${answer.body.slice(0, 200)}. Liveness is about the process: a restart cannot fix Redis`).toBe(200);
        expect(answer.ms, `GET ${urls[i]} with Redis ${how} took ${answer.ms.toFixed(0)} ms: /health must not wait on a dependency (READY_CHECK_TIMEOUT_MS is ${CHECK_TIMEOUT_MS} ms)`).toBeLessThan(CHECK_TIMEOUT_MS / 2);
      }
      await heal();
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
  it('07.ready answers 503 "draining" on the admin port from the moment SIGTERM starts the drain, while an upload is still in flight', { timeout: 60_000 }, async () => {
    const graceMs = 8_000;
    const svc = await startService({ tree: inject('tree'), stack, processes: ['api'], env: { SHUTDOWN_GRACE_MS: String(graceMs) } });
    services.push(svc);
    const readyUrl = `${svc.adminUrl.api}/ready`;
    const before = await timedGet(readyUrl, 5_000);
    expect(before.status, `GET ${readyUrl} (the admin port) before SIGTERM: ${before.body.slice(0, 200)}`).toBe(200);

    const held = holdUpload(svc.apiUrl);
    await sleep(300);
    const exited = svc.stop('api', 'SIGTERM', graceMs + 4_000);
    try {
      let last: { status: number; body: string } | undefined;
      for (const deadline = performance.now() + 3_000; performance.now() < deadline; await sleep(100)) {
        last = await timedGet(readyUrl, 3_000).catch(() => undefined);
        if (last?.status === 503) break;
      }
      expect(last?.status, `GET ${readyUrl} within 3 s of SIGTERM, with an upload still in flight (the drain lasts up to SHUTDOWN_GRACE_MS): ${last?.body.slice(0, 200)}. A draining process must not get new traffic: /ready is false from the drain's first moment. API's last lines:\n${tail(svc, 'api')}`).toBe(503);
      expect(last?.body ?? '', `GET ${readyUrl} during the drain must say why: "draining"`).toMatch(/draining/);
    } finally {
      held.release();
      await exited;
    }
  });
});
