// 06.fail-fast: the API→optimizer link blackholed by a Toxiproxy timeout toxic (connections
// accepted, nothing answered: what a dead host or a full server looks like) and 100 uploads at
// once. Counted from outside the service: the API's connections to the proxy in the kernel's
// socket table, and each upload's time at the client. At most the bulkhead's 5 connections may
// wait for OPTIMIZER_TIMEOUT_MS; every other upload is queued (202) without waiting. Tested at
// two timeouts, every bound relative to the setting. (A link that refuses connections fails
// fast without any breaker, so it proves nothing.) The quick answers' time is the API's own
// work for 100 uploads at once (MinIO above all: about 2–3 s on this 2-core machine), so their
// p95 is bounded by half the timeout (a tenth at the 30 s many services use). A *.timing
// file: it runs alone.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sampleConnections } from './connection-sampler.ts';
import { blackhole, optimizerStepMs, percentile, sleep, startProxied, statusOf, timedUpload, uniqueName, type ProxiedService } from './breaker-helpers.ts';

const stack = inject('stack');
const UPLOADS = 100;
const BULKHEAD = 5;

describe.each([10_000, 20_000])('with OPTIMIZER_TIMEOUT_MS=%i', (timeoutMs) => {
  let service: ProxiedService;

  beforeAll(async () => {
    service = await startProxied(stack, 'fail-fast', {
      tree: inject('tree'),
      processes: ['api', 'optimizer'],
      env: { OPTIMIZER_TIMEOUT_MS: String(timeoutMs), BREAKER_CAPACITY: String(BULKHEAD), BREAKER_FAILURES: '5', BREAKER_RESET_MS: '120000' },
    });
    // One upload through the healthy link, so the API's first-call costs are paid.
    const warm = await timedUpload(service.svc.apiUrl, uniqueName('warm'));
    expect(statusOf(warm), 'a first upload through the healthy link').toBe('200');
    // Its connection would stay in the API's pool, and the optimizer would close it 5 s later
    // (keep-alive), failing whichever call had reused it: start the burst with none.
    await service.dropConnections();
    await sleep(200);
  }, 60_000);
  afterAll(() => service?.stop());

  it(`06.fail-fast 100 uploads on a blackholed link: at most ${BULKHEAD} wait for the timeout, the rest are queued at once`, async () => {
    const { svc, proxy } = service;
    await service.toxic(blackhole);
    const pid = svc.pid('api')!;
    const sampler = sampleConnections(pid, proxy.port, 10);
    const runId = uniqueName('burst');
    const uploads = await Promise.all(Array.from({ length: UPLOADS }, (_, i) => timedUpload(svc.apiUrl, `${runId}-${i}`, timeoutMs * 3 + 15_000)));
    const connections = await sampler.stop();

    const fastest = uploads.filter((upload) => upload.ms < timeoutMs * 0.9).map((upload) => upload.ms);
    console.log(
      `06.fail-fast timeout ${timeoutMs} ms: connections at once ${connections.maxOpen}, distinct ${connections.distinct}; ` +
        `waited ≥ 0.9×timeout ${UPLOADS - fastest.length}; the others p50 ${percentile(fastest, 50).toFixed(0)} ms p95 ${percentile(fastest, 95).toFixed(0)} ms; slowest of all ${Math.max(...uploads.map((u) => u.ms)).toFixed(0)} ms`,
    );
    const statuses = uploads.map(statusOf);
    const notQueued = statuses.filter((status) => status !== '202');
    expect(notQueued, `uploads not answered 202 (queued) with the optimizer unreachable: ${notQueued.slice(0, 5).join(', ')}`).toEqual([]);

    expect(connections.samples, 'samples of the API socket table').toBeGreaterThan(10);
    expect(
      connections.maxOpen,
      `the API had ${connections.maxOpen} connections open to the optimizer's proxy at once (${connections.distinct} distinct during the burst): every upload waits on its own connection; at most ${BULKHEAD} (the bulkhead) may`,
    ).toBeLessThanOrEqual(BULKHEAD);
    expect(connections.distinct, 'connections the API opened to the optimizer during the burst (it must at least try)').toBeGreaterThanOrEqual(1);

    const waited = uploads.filter((upload) => upload.ms >= timeoutMs * 0.9);
    expect(waited.length, `uploads that waited for the ${timeoutMs} ms timeout (${waited.length}; the bulkhead lets at most ${BULKHEAD} wait, and at least one call must have been tried)`).toBeGreaterThanOrEqual(1);
    expect(waited.length, `uploads that waited for the ${timeoutMs} ms timeout`).toBeLessThanOrEqual(BULKHEAD);

    const fast = uploads.filter((upload) => upload.ms < timeoutMs * 0.9);
    const steps = fast.map(optimizerStepMs);
    expect(steps.filter((step) => step === undefined).length, 'answers without an optimizer step in Server-Timing').toBe(0);
    // Server-Timing's optimizer step holds the call and the job's publish to RabbitMQ, which a
    // busy broker can hold up for a few hundred ms: the bulk of them ≈ 0, none near the timeout.
    const stepP95 = percentile(steps as number[], 95);
    const slowest = Math.max(...(steps as number[]));
    expect(stepP95, `p95 of the optimizer step among the uploads that did not wait: ${stepP95.toFixed(1)} ms; the breaker's answer should not wait on the optimizer at all (under a twentieth of the timeout)`).toBeLessThan(timeoutMs / 20);
    expect(slowest, `the slowest optimizer step among the uploads that did not wait: ${slowest.toFixed(1)} ms (under a quarter of the timeout)`).toBeLessThan(timeoutMs / 4);
    const p95 = percentile(fast.map((upload) => upload.ms), 95);
    expect(p95, `p95 of the ${fast.length} uploads that did not wait: ${p95.toFixed(0)} ms, should be well under the ${timeoutMs} ms timeout (half of it)`).toBeLessThan(timeoutMs / 2);

    await service.heal(blackhole.name);
  }, 90_000);
});
