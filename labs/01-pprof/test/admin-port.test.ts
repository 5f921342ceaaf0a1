// The admin port: CPU and heap profiles readable by go tool pprof, event-loop delay, and none
// of it reachable from the network or through the public ports.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { optimizeOnce } from '../../../shared/harness/bare-pipeline.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { adminGet, decodeProfile, excerpt, timeTypeIndex, total, tryConnect } from './pprof-helpers.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
});
afterAll(() => svc?.stopAll());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('admin port', () => {
  it('01.cpu-profile serves a gzipped pprof CPU profile with samples, covering about the requested 2 s', { timeout: 15_000 }, async () => {
    const seconds = 2;
    const url = `${svc.adminUrl.optimizer}/debug/pprof/profile?seconds=${seconds}`;
    const started = performance.now();
    const answer = adminGet(url, 'optimizer', (seconds + 8) * 1000);
    // Work for the profiler to see, once the request is in: a few small images. An admin port
    // that refused or answered at once already failed, and then there is nothing to profile.
    const early = await Promise.race([answer.then(() => true, () => true), sleep(200).then(() => false)]);
    if (!early) {
      const image = await photoJpeg(800, 600);
      for (let i = 0; i < 3; i++) await optimizeOnce(svc.optimizerUrl, image, `cpu profile ${i}`);
    }
    const { status, headers, body } = await answer;
    const elapsedS = (performance.now() - started) / 1000;
    expect(status, `GET ${url} answered ${status}: ${excerpt({ status, headers, body })}`).toBe(200);

    const decoded = decodeProfile(body, `the answer to GET ${url}`);
    const timeType = timeTypeIndex(decoded);
    expect(timeType, `the profile has no time sample type (it has ${decoded.sampleTypes.join(', ') || 'none'}): is it a CPU profile?`).toBeGreaterThanOrEqual(0);
    expect(decoded.profile.sample.length, 'the profile has no samples although the optimizer processed 3 images meanwhile').toBeGreaterThan(0);
    expect(total(decoded, timeType), 'the samples add up to no time at all').toBeGreaterThan(0);

    const durationS = Number(decoded.profile.durationNanos) / 1e9;
    expect(durationS, `the profile covers ${durationS.toFixed(2)} s (its durationNanos), not about the ${seconds} s asked for`).toBeGreaterThanOrEqual(seconds * 0.6);
    expect(durationS, `the profile covers ${durationS.toFixed(2)} s (its durationNanos), not about the ${seconds} s asked for`).toBeLessThanOrEqual(seconds * 1.4);
    expect(elapsedS, `the answer came after ${elapsedS.toFixed(2)} s: a ${seconds} s profile cannot be ready sooner`).toBeGreaterThanOrEqual(seconds * 0.6);
  });

  it('01.cpu-profile refuses seconds outside 1–60 with a 400 that says why', { timeout: 5_000 }, async () => {
    for (const bad of ['0', '61', 'abc', '-5', '1.5']) {
      const url = `${svc.adminUrl.optimizer}/debug/pprof/profile?seconds=${bad}`;
      const answer = await adminGet(url, 'optimizer', 2_000);
      expect(answer.status, `GET ${url} answered ${answer.status}: ${excerpt(answer)}`).toBe(400);
      expect(answer.body.toString().trim(), `GET ${url}: the 400 should say what seconds accepts`).not.toBe('');
    }
  });

  it('01.heap-profile serves a gzipped pprof heap profile with in-use space', { timeout: 10_000 }, async () => {
    const url = `${svc.adminUrl.optimizer}/debug/pprof/heap`;
    const answer = await adminGet(url, 'optimizer', 5_000);
    expect(answer.status, `GET ${url} answered ${answer.status}: ${excerpt(answer)}`).toBe(200);
    const decoded = decodeProfile(answer.body, `the answer to GET ${url}`);
    const space = decoded.sampleTypes.find((type) => /space\/bytes$/.test(type));
    expect(space, `the heap profile has no space sample type in bytes (it has ${decoded.sampleTypes.join(', ') || 'none'})`).toBeDefined();
  });

  it('01.not-public answers 404 for /debug/* on the public API and optimizer ports', { timeout: 10_000 }, async () => {
    for (const base of [svc.apiUrl, svc.optimizerUrl]) {
      for (const path of ['/debug/pprof/profile?seconds=1', '/debug/pprof/heap', '/debug/eventloop']) {
        const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(3_000) });
        await response.arrayBuffer();
        expect(response.status, `GET ${base}${path} on a public port answered ${response.status}: profiles belong on the admin port only`).toBe(404);
      }
    }
  });

  it('01.not-public binds every admin listener to 127.0.0.1 only', { timeout: 10_000 }, async () => {
    for (const name of ['api', 'optimizer', 'worker'] satisfies ProcessName[]) {
      const admin = new URL(svc.adminUrl[name]);
      const port = Number(admin.port);
      const onLoopback = await tryConnect('127.0.0.1', port, 1_000);
      if (onLoopback !== 'connected') {
        expect.fail(`the ${name}'s admin port ${port} does not answer on 127.0.0.1 (${onLoopback}): lib/admin-server.ts must listen there, on ${name.toUpperCase()}_ADMIN_PORT`);
      }
      // All of 127.0.0.0/8 reaches this machine; a listener on 0.0.0.0 or :: accepts 127.0.0.2 too.
      if ((await tryConnect('127.0.0.2', port, 1_000)) === 'connected') {
        expect.fail(`the ${name}'s admin port ${port} accepts connections on 127.0.0.2, so it listens on every interface: give listen() the host '127.0.0.1'`);
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
