// 09.bloom: the API's Bloom filter, seen from Redis. BLOOM_EXPECTED_KEYS keys are in Redis
// when the API starts; every key that exists is found (those, an upload's, a queued upload's
// that the worker completed); of 10 000 keys that were never stored, Redis's MONITOR sees
// a command for at most 2 %, and for about the rate a filter of that size gives: a false
// positive rate measured within [p/3, 2p] (an exact set of keys answers 0 %, and costs
// memory for every key).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../shared/harness/ports.ts';
import type { RunningService } from '../../../shared/harness/service.ts';
import { get, upload } from '../../../shared/harness/upload.ts';
import { waitFor } from '../../../shared/harness/wait.ts';
import { smallPhoto, withComment } from '../../06-circuit-breaker/test/breaker-helpers.ts';
import { imageRedisKey, readImage, readMany, startWatched, unseenKey, type Watched } from './cache-helpers.ts';

const stack = inject('stack');
const N = 2_000;
const P = 0.01;
const UNSEEN = 10_000;

describe('the Bloom filter in front of Redis', () => {
  let run: Watched;
  let svc: RunningService;
  beforeAll(async () => {
    // The API cannot reach any optimizer, so uploads are queued; the worker reaches the real one.
    const closed = `http://127.0.0.1:${await freePort()}`;
    run = await startWatched({ count: N, bytes: 64 }, {
      tree: inject('tree'),
      stack,
      env: { BLOOM_EXPECTED_KEYS: String(N), BLOOM_FALSE_POSITIVE_RATE: String(P) },
      envFor: { api: { OPTIMIZER_URL: closed } },
    });
    svc = run.svc;
  }, 60_000);
  afterAll(() => run?.stop());

  it(`09.bloom every stored key is found: ${N} in Redis at start-up, and a queued upload's once the worker stored it`, { timeout: 60_000 }, async () => {
    const answers = await readMany(svc, run.images.map(({ key }) => key));
    const missing = answers.filter((answer, i) => answer.status !== 200 || !answer.body.equals(run.images[i]!.image)).length;
    expect(missing, `of the ${N} images in Redis when the API started, ${missing} were not answered (a false negative: the filter must be filled from Redis at start-up)`).toBe(0);

    const queued = await upload(svc.apiUrl, { image: withComment(await smallPhoto(), `bloom ${unseenKey()}`), wmText: 'bloom queued', timeoutMs: 30_000 });
    expect(queued.status, `an upload with the optimizer out of the API's reach is queued: ${queued.body.toString('utf8', 0, 160)}`).toBe(202);
    const key = queued.headers.get('x-cache-key')!;
    await waitFor(`the worker storing the queued image ${key.slice(0, 12)}… in Redis`, async () => ((await run.redis.exists(imageRedisKey(svc, key))) === 1 ? true : undefined), 30_000, 200);
    const status = await get(`${svc.apiUrl}/status/${key}`);
    expect(status.status, 'GET /status of the completed job').toBe(200);
    const image = await readImage(svc, key);
    expect(image.status, 'GET /image/:key of an image the worker stored (the job was queued by this API): a false negative').toBe(200);
  });

  it(`09.bloom of ${UNSEEN} keys never stored, at least 98 % send Redis no command, and the rest about p = ${P} (within p/3 and 2p)`, { timeout: 60_000 }, async () => {
    const keys = Array.from({ length: UNSEEN }, unseenKey);
    await run.watch.settle();
    const before = run.watch.commands(imageRedisKey(svc, '')).length;
    const answers = await readMany(svc, keys);
    await run.watch.settle();
    const notFound = answers.filter((answer) => answer.status === 404).length;
    expect(notFound, `keys never stored answered 404 (of ${UNSEEN})`).toBe(UNSEEN);
    const asked = new Set(run.watch.commands(imageRedisKey(svc, '')).slice(before).flatMap((args) => args.slice(1)).filter((arg) => arg.startsWith(imageRedisKey(svc, ''))));
    const rate = asked.size / UNSEEN;
    console.log(`09.bloom: ${asked.size} of ${UNSEEN} keys never stored were asked of Redis: ${(rate * 100).toFixed(2)} % (configured p ${P * 100} % at ${N} keys)`);
    expect(rate, `${asked.size} of ${UNSEEN} keys never stored were asked of Redis (${(rate * 100).toFixed(2)} %): at least 98 % must be answered without it`).toBeLessThanOrEqual(0.02);
    expect(rate, `false positives at ${(rate * 100).toFixed(2)} %, above 2p: is the filter sized from BLOOM_EXPECTED_KEYS and BLOOM_FALSE_POSITIVE_RATE?`).toBeLessThanOrEqual(2 * P);
    expect(rate, `false positives at ${(rate * 100).toFixed(2)} %, under p/3 = ${((P / 3) * 100).toFixed(2)} %: a Bloom filter of m = −n·ln p/(ln 2)² bits gives about p; an exact set of keys gives 0 and grows with every key`).toBeGreaterThanOrEqual(P / 3);
  });
});
