// 09.hit-speed: Redis a round trip away (Toxiproxy latency on the API's link to it, at two
// settings): GET /image/:key of an image read once before, against cold uploads (new
// pictures, one at a time), in the same run. A hit from Redis pays the round trip and a cold
// upload three and the optimizer: about 4× apart whatever the latency. Only a copy in the
// process itself makes a hit 20× faster. A *.timing file: it runs alone.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { upload } from '../../../shared/harness/upload.ts';
import { addToxic, createProxy, deleteProxy, removeToxic, type CreatedProxy } from '../../../shared/stack/toxiproxy.ts';
import { redisOf } from '../../05-rate-limiting/test/limit-helpers.ts';
import { smallPhoto, withComment } from '../../06-circuit-breaker/test/breaker-helpers.ts';
import { readImage, startSeeded, unseenKey, type Seeded } from './cache-helpers.ts';

const stack = inject('stack');
const COLD = 4;
const HITS = 100;
/** The hits' phase stops after this long, so a slow path ends the test in seconds. */
const HITS_FOR_MS = 3_000;
const RATIO = 20;

describe.each([150, 300])('with %i ms of latency to Redis', (latencyMs) => {
  let seeded: Seeded;
  let proxy: CreatedProxy;
  let redis: Redis;
  beforeAll(async () => {
    redis = await redisOf(stack.redis.url);
    proxy = await createProxy(stack.toxiproxy, `lab09-hit-${latencyMs}-${unseenKey().slice(0, 8)}`, 'redis');
    seeded = await startSeeded(redis, { count: 1, bytes: 60_000 }, { tree: inject('tree'), stack, processes: ['api', 'optimizer'], env: { REDIS_URL: `redis://${proxy.host}:${proxy.port}` } });
    // A first upload, before the latency: the API's first-call costs are paid.
    const warm = await upload(seeded.svc.apiUrl, { image: withComment(await smallPhoto(), `warm ${unseenKey()}`), wmText: 'warm', timeoutMs: 30_000 });
    expect(warm.status, 'a first upload').toBe(200);
    await addToxic(stack.toxiproxy, proxy.name, { name: 'latency', type: 'latency', stream: 'downstream', attributes: { latency: latencyMs } });
  }, 60_000);
  afterAll(async () => {
    await seeded?.svc.stopAll();
    if (proxy) await removeToxic(stack.toxiproxy, proxy.name, 'latency').catch(() => {});
    if (proxy) await deleteProxy(stack.toxiproxy, proxy.name).catch(() => {});
    redis?.disconnect();
  });

  it(`09.hit-speed a repeated GET /image/:key answers ≥ ${RATIO}× the requests a second of cold uploads (${latencyMs} ms to Redis)`, { timeout: 60_000 }, async () => {
    const { svc, images } = seeded;
    const { key, image } = images[0]!;

    const coldStart = performance.now();
    for (let i = 0; i < COLD; i++) {
      const made = await upload(svc.apiUrl, { image: withComment(await smallPhoto(), `cold ${unseenKey()}`), wmText: `cold ${i}`, timeoutMs: 30_000 });
      expect(made.status, `a cold upload: ${made.body.toString('utf8', 0, 160)}`).toBe(200);
    }
    const coldPerSecond = COLD / ((performance.now() - coldStart) / 1000);

    expect((await readImage(svc, key)).body.equals(image), 'the first read of the image').toBe(true);
    let hits = 0;
    const hitStart = performance.now();
    while (hits < HITS && performance.now() - hitStart < HITS_FOR_MS) {
      const read = await readImage(svc, key);
      expect(read.status === 200 && read.body.equals(image), 'every hit answers the image\'s bytes').toBe(true);
      hits++;
    }
    const hitPerSecond = hits / ((performance.now() - hitStart) / 1000);
    const ratio = hitPerSecond / coldPerSecond;
    console.log(`09.hit-speed ${latencyMs} ms to Redis: cold uploads ${coldPerSecond.toFixed(2)}/s, repeated reads ${hitPerSecond.toFixed(1)}/s: ${ratio.toFixed(1)}×`);
    expect(ratio, `repeated reads ${hitPerSecond.toFixed(1)}/s against cold uploads ${coldPerSecond.toFixed(2)}/s: ${ratio.toFixed(1)}×, at least ${RATIO}× wanted (a read from Redis pays its ${latencyMs} ms round trip every time)`).toBeGreaterThanOrEqual(RATIO);
  });
});
