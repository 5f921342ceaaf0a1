// The admin port: CPU and heap profiles readable by go tool pprof, event-loop delay, and none
// of it reachable from the network or through the public ports.
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { listenAddresses } from './listeners.ts';
import { adminGet, decodeProfile, excerpt, samplesThrough, timeTypeIndex, total, tryConnect } from './pprof-helpers.ts';
import { getBounded, optimize } from './requests.ts';

const heapProbe = pathToFileURL(join(import.meta.dirname, 'heap-probe.ts')).href;
const probeFunction = 'heldByHeapProbe'; // heap-probe.ts: what each upload leaves alive

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), envFor: { optimizer: { NODE_OPTIONS: `--import=${heapProbe}` } } });
});
afterAll(() => svc?.stopAll());

/** Asks the optimizer for a `seconds` CPU profile while small images keep it busy until the answer. */
async function profileUnderLoad(seconds: number) {
  const url = `${svc.adminUrl.optimizer}/debug/pprof/profile?seconds=${seconds}`;
  const image = await photoJpeg(800, 600);
  const started = performance.now();
  let answered = false;
  const answer = adminGet(url, 'optimizer', (seconds * 2 + 8) * 1000).finally(() => (answered = true));
  answer.catch(() => {}); // awaited below; a load failure must not leave it unhandled
  for (let i = 0; !answered; i++) await optimize(svc.optimizerUrl, image, `cpu profile ${seconds} s #${i}`, 10_000);
  return { url, ...(await answer), elapsedS: (performance.now() - started) / 1000 };
}

describe('admin port', () => {
  // Two lengths: a handler that ignores ?seconds cannot cover both.
  it('01.cpu-profile serves gzipped pprof CPU profiles with samples, each covering about the requested 1 s and 2 s', { timeout: 40_000 }, async () => {
    for (const seconds of [1, 2]) {
      const { url, status, headers, body, elapsedS } = await profileUnderLoad(seconds);
      expect(status, `GET ${url} answered ${status}: ${excerpt({ status, headers, body })}`).toBe(200);

      const decoded = decodeProfile(body, `the answer to GET ${url}`);
      const timeType = timeTypeIndex(decoded);
      expect(timeType, `the profile has no time sample type (it has ${decoded.sampleTypes.join(', ') || 'none'}): is it a CPU profile?`).toBeGreaterThanOrEqual(0);
      expect(decoded.profile.sample.length, `the ${seconds} s profile has no samples although the optimizer processed images all along`).toBeGreaterThan(0);
      expect(total(decoded, timeType), `the ${seconds} s profile's samples add up to no time at all`).toBeGreaterThan(0);

      // A timer never fires early; on a busy machine it fires late by a fraction of a second,
      // whatever the length. No one fixed length fits both windows (1–1.75 s, 1.8–3 s).
      const durationS = Number(decoded.profile.durationNanos) / 1e9;
      const covers = `GET ${url}: the profile covers ${durationS.toFixed(2)} s (its durationNanos), not about the ${seconds} s asked for`;
      expect(durationS, covers).toBeGreaterThanOrEqual(seconds * 0.9);
      expect(durationS, covers).toBeLessThanOrEqual(seconds * 1.25 + 0.5);
      // The answer waits for the recording, then for its encoding, which a busy machine slows
      // by a second or more; durationNanos above is what pins the length.
      const took = `GET ${url} answered after ${elapsedS.toFixed(2)} s: a ${seconds} s profile takes about ${seconds} s`;
      expect(elapsedS, took).toBeGreaterThanOrEqual(seconds * 0.9);
      expect(elapsedS, took).toBeLessThanOrEqual(seconds * 1.5 + 2);
    }
  });

  it('01.cpu-profile refuses seconds outside 1–60 with a 400 that says why', { timeout: 15_000 }, async () => {
    for (const bad of ['0', '61', 'abc', '-5', '1.5']) {
      const url = `${svc.adminUrl.optimizer}/debug/pprof/profile?seconds=${bad}`;
      const answer = await adminGet(url, 'optimizer', 2_000);
      expect(answer.status, `GET ${url} answered ${answer.status}: ${excerpt(answer)}`).toBe(400);
      expect(answer.body.toString().trim(), `GET ${url}: the 400 should say what seconds accepts`).not.toBe('');
    }
  });

  it('01.heap-profile serves a gzipped pprof heap profile with in-use space that holds what earlier uploads left alive', { timeout: 45_000 }, async () => {
    // Each upload leaves ~3 MB alive in the optimizer (the preloaded heap-probe.ts), made
    // before the request: a profiler started in the handler cannot have seen them.
    const image = await photoJpeg(800, 600);
    for (let i = 0; i < 3; i++) await optimize(svc.optimizerUrl, image, `heap profile #${i}`, 10_000);
    const url = `${svc.adminUrl.optimizer}/debug/pprof/heap`;
    const answer = await adminGet(url, 'optimizer', 5_000);
    expect(answer.status, `GET ${url} answered ${answer.status}: ${excerpt(answer)}`).toBe(200);
    const decoded = decodeProfile(answer.body, `the answer to GET ${url}`);
    const space = decoded.sampleTypes.findIndex((type) => /space\/bytes$/.test(type));
    expect(space, `the heap profile has no space sample type in bytes (it has ${decoded.sampleTypes.join(', ') || 'none'})`).toBeGreaterThanOrEqual(0);
    // @datadog/pprof adds one "(external)" sample for memory outside the JS heap, sampled or not.
    const heapSamples = decoded.profile.sample.length - samplesThrough(decoded, '(external)').length;
    const held = samplesThrough(decoded, probeFunction);
    if (held.length === 0) {
      expect.fail(`the heap profile holds ${heapSamples} sample(s) of the JS heap, none of the ~9 MB that the 3 uploads before the request left alive (allocated by ${probeFunction}, preloaded into the optimizer): start the sampling heap profiler with the admin server, not in the handler`);
    }
  });

  it('01.not-public answers 404 for /debug/* on the public API and optimizer ports', { timeout: 30_000 }, async () => {
    for (const base of [svc.apiUrl, svc.optimizerUrl]) {
      for (const path of ['/debug/pprof/profile?seconds=1', '/debug/pprof/heap', '/debug/eventloop']) {
        const { status } = await getBounded(`${base}${path}`, 4_000);
        expect(status, `GET ${base}${path} on a public port answered ${status}: profiles belong on the admin port only`).toBe(404);
      }
    }
  });

  it('01.not-public binds every admin listener to 127.0.0.1 only', { timeout: 30_000 }, async () => {
    const elsewhere = otherAddresses();
    for (const name of ['api', 'optimizer', 'worker'] satisfies ProcessName[]) {
      const port = Number(new URL(svc.adminUrl[name]).port);
      const onLoopback = await tryConnect('127.0.0.1', port, 2_000);
      if (onLoopback !== 'connected') {
        expect.fail(`the ${name}'s admin port ${port} does not answer on 127.0.0.1 (${onLoopback}): lib/admin-server.ts must listen there, on ${name.toUpperCase()}_ADMIN_PORT`);
      }
      // The kernel's own table says where the socket listens: 0.0.0.0 and :: take any address.
      const pid = svc.pid(name);
      const bound = pid === undefined ? null : listenAddresses(pid, port);
      if (bound?.length === 0) expect.fail(`the kernel lists no LISTEN socket of the ${name} (pid ${pid}) on port ${port} in /proc/net/tcp or /proc/net/tcp6`);
      const wide = bound?.filter((address) => address !== '127.0.0.1' && address !== '::ffff:127.0.0.1') ?? [];
      if (wide.length > 0) expect.fail(`the ${name}'s admin port ${port} listens on ${wide.join(' and ')} (/proc/net/tcp), so every interface reaches it: give listen() the host '127.0.0.1'`);
      // Where there is no /proc, the machine's other addresses are the evidence: they must refuse.
      if (!bound && !elsewhere.some((address) => !address.includes(':'))) {
        expect.fail(`cannot tell where the ${name}'s admin port listens: no /proc/net/tcp and no non-loopback IPv4 address to probe`);
      }
      for (const address of elsewhere) {
        if ((await tryConnect(address, port, 1_000)) === 'connected') {
          expect.fail(`the ${name}'s admin port ${port} accepts connections on ${address}, so it listens beyond loopback: give listen() the host '127.0.0.1'`);
        }
      }
    }
  });

  it('01.event-loop-delay serves event-loop delay figures in ms as JSON', { timeout: 5_000 }, async () => {
    const url = `${svc.adminUrl.optimizer}/debug/eventloop`;
    const answer = await adminGet(url, 'optimizer', 2_000);
    expect(answer.status, `GET ${url} answered ${answer.status}: ${excerpt(answer)}`).toBe(200);
    let figures: Record<string, unknown>;
    try {
      figures = JSON.parse(answer.body.toString()) as Record<string, unknown>;
    } catch {
      expect.fail(`GET ${url} answered something that is not JSON: ${excerpt(answer)}`);
    }
    const names = ['minMs', 'meanMs', 'p50Ms', 'p99Ms', 'maxMs'] as const;
    for (const name of names) {
      expect(typeof figures[name], `${name} should be a number of milliseconds, got ${JSON.stringify(figures[name])}`).toBe('number');
      expect(figures[name] as number, `${name} is negative`).toBeGreaterThanOrEqual(0);
    }
    const [min, mean, p50, p99, max] = names.map((name) => figures[name] as number);
    expect([min! <= p50!, p50! <= p99!, p99! <= max!, min! <= mean!, mean! <= max!], `the figures are out of order: ${JSON.stringify(figures)}`).toEqual([true, true, true, true, true]);
    // A delay in seconds or nanoseconds would be off by a factor of 1000 or more.
    expect(max!, `maxMs = ${max}: an idle optimizer's event loop is not blocked for over 5 s; are these nanoseconds?`).toBeLessThan(5_000);
  });
});

/** ::1 and this machine's addresses off loopback (link-local ones need a zone, and are left out). */
function otherAddresses(): string[] {
  const own = Object.values(networkInterfaces()).flatMap((entries) => entries ?? []);
  return ['::1', ...own.filter((entry) => !entry.internal && !entry.address.startsWith('fe80:')).map((entry) => entry.address)];
}
