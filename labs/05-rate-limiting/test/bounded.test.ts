// 05.bounded: 100 000 distinct clients (each its own X-Forwarded-For, from the trusted loopback
// edge) leave no state that grows without bound. Read outside the service's code: every
// limiter key in Redis (SCAN, PTTL) expires, within the time a full refill takes; and the API's
// heap after a full GC (the harness's preloaded probe), against its own figure in the same run
// after a warm-up, grows by less than a per-client Map would cost.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProbeMemory } from '../../../shared/harness/process-probe.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { clientAddress, flood, limiterKeys, redisOf, ttlsOf } from './limit-helpers.ts';

const stack = inject('stack');
const CLIENTS = 100_000;
const WARM_UP = 2_000;
// A slow refill keeps every bucket alive while the test counts them: one token spent takes
// 1 000 s to come back (0.001 a second), a full refill 10 000 s; a key kept a day is still too long.
const BURST = 10;
const PER_SECOND = 0.001;
const REFILL_MS = (BURST / PER_SECOND) * 1000;
// What the API may still hold after 100 000 clients, over its warmed-up heap: less than 24 bytes
// a client. Keeping anything per client in the process (a Map of ids, of buckets, of last-seen
// times) costs more: a Map of 100 000 short strings alone is about 8 MB (the README's measure).
const HEAP_GROWTH_LIMIT = 2.4 * 1024 * 1024;

let svc: RunningService;
let redis: Awaited<ReturnType<typeof redisOf>>;

async function memory(): Promise<ProbeMemory> {
  const url = `${svc.probeUrl.api}/memory`;
  const response = await fetch(url, { signal: AbortSignal.timeout(20_000) }).catch((error: unknown) => {
    expect.fail(`the harness's probe in the API (GET ${url}) did not answer within 20 s: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (response.status !== 200) expect.fail(`GET ${url} answered ${response.status}`);
  return (await response.json()) as ProbeMemory;
}

/**
 * The heap once what the flood left in flight has drained: the log lines still queued for a
 * busy pipe (pino writes asynchronously) and the sockets being torn down are not state the
 * limiter keeps. Read until it stops going down (less than 256 KB between two reads a second
 * apart), for up to 30 s; the lowest reading counts.
 */
async function settled(): Promise<ProbeMemory> {
  let best = await memory();
  for (const deadline = performance.now() + 30_000; performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await memory();
    const drop = best.heapUsed - now.heapUsed;
    if (now.heapUsed < best.heapUsed) best = now;
    if (drop < 256 * 1024) break;
  }
  return best;
}

/** Every key has a TTL, and none outlives a full refill. */
function expectExpiring(keys: string[], ttls: number[]): void {
  const forever = ttls.filter((ttl) => ttl === -1).length;
  expect(forever, `${forever} of ${keys.length} limiter keys have no expiry (PTTL -1): a client seen once would cost Redis memory for ever`).toBe(0);
  const tooLong = ttls.filter((ttl) => ttl > REFILL_MS).length;
  expect(tooLong, `${tooLong} of ${keys.length} limiter keys outlive a full refill (${REFILL_MS} ms at ${BURST} tokens, ${PER_SECOND}/s; longest PTTL ${ttls.reduce((a, b) => Math.max(a, b), -2)} ms): a full bucket needs no key`).toBe(0);
}

/** The heap after `clients` clients, against the warmed-up figure. */
function expectHeapCapped(before: ProbeMemory, after: ProbeMemory, clients: number): void {
  const growth = after.heapUsed - before.heapUsed;
  expect(
    growth,
    `the API's heap after a full GC grew by ${(growth / 1024 / 1024).toFixed(1)} MB over ${clients} clients (from ${(before.heapUsed / 1024 / 1024).toFixed(1)} MB, limit ${(HEAP_GROWTH_LIMIT / 1024 / 1024).toFixed(1)} MB): per-client state in the process grows without bound; keep it in Redis, or cap it (lru-cache)`,
  ).toBeLessThan(HEAP_GROWTH_LIMIT);
}

beforeAll(async () => {
  svc = await startService({
    tree: inject('tree'),
    stack,
    processes: ['api'],
    probe: true,
    // The flood keeps a few hundred requests in flight: Redis's answers queue behind them, so
    // the limiter's Redis bound is raised well past that (it is 05.redis-down's subject, not this).
    env: { RATE_LIMIT_BURST: String(BURST), RATE_LIMIT_PER_SECOND: String(PER_SECOND), RATE_LIMIT_REDIS_TIMEOUT_MS: '20000' },
  });
  redis = await redisOf(stack.redis.url);
});
afterAll(async () => {
  await svc?.stopAll();
  // The buckets would expire by themselves within REFILL_MS; the shared Redis gets them back now.
  if (redis) {
    const keys = await limiterKeys(redis, svc);
    for (let i = 0; i < keys.length; i += 10_000) await redis.unlink(...keys.slice(i, i + 10_000));
    redis.disconnect();
  }
});

describe('100 000 clients, one upload each', () => {
  it('05.bounded leaves every limiter key in Redis with a TTL within the refill time, and the API\'s heap (after a full GC) capped', { timeout: 300_000 }, async () => {
    // Warm-up from other addresses: code paths compiled, pools filled, before the baseline.
    const warm = await flood(svc, WARM_UP, (i) => clientAddress(i, 1 << 22));
    expect(warm.statuses.get(400) ?? 0, `warm-up: ${WARM_UP} bodyless uploads from distinct clients should each pass the limiter and get the upload route's 400 (got ${[...warm.statuses].map(([s, n]) => `${s} ×${n}`).join(', ')})`).toBe(WARM_UP);
    // Before the long part: the limiter counted them (a key each), else there is nothing to bound.
    const warmKeys = await limiterKeys(redis, svc);
    expect(warmKeys.length, `limiter keys (${svc.prefix}rl:*) in Redis after ${WARM_UP} distinct clients: the limiter keeps each client's bucket there`).toBeGreaterThanOrEqual(WARM_UP);
    expectExpiring(warmKeys, await ttlsOf(redis, warmKeys));
    const before = await settled();

    // In two halves: per-client state in the process already shows after the first one.
    const half = CLIENTS / 2;
    let ms = 0;
    let after = before;
    for (const from of [0, half]) {
      const run = await flood(svc, half, (i) => clientAddress(from + i), { timeoutMs: 120_000 });
      ms += run.ms;
      const counts = [...run.statuses].map(([s, n]) => `${s} ×${n}`).join(', ');
      expect(run.statuses.get(400) ?? 0, `${half} clients, one bodyless upload each: each has a full bucket, so each passes the limiter to the upload route's 400 (got ${counts})`).toBe(half);
      after = await settled();
      expectHeapCapped(before, after, from + half);
    }

    // Redis: a key per client (the limiter did count them), each expiring, within REFILL_MS.
    const keys = await limiterKeys(redis, svc);
    expect(keys.length, `limiter keys (${svc.prefix}rl:*) in Redis after ${CLIENTS + WARM_UP} distinct clients: the limiter keeps each client's bucket there`).toBeGreaterThanOrEqual(CLIENTS);
    const ttls = await ttlsOf(redis, keys);
    expectExpiring(keys, ttls);

    console.log(`05.bounded: ${CLIENTS} clients in ${(ms / 1000).toFixed(1)} s; heap ${(before.heapUsed / 1024 / 1024).toFixed(1)} → ${(after.heapUsed / 1024 / 1024).toFixed(1)} MB; ${keys.length} keys, longest PTTL ${ttls.reduce((a, b) => Math.max(a, b), -2)} ms`);
  });
});
