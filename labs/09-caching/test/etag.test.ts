// 09.etag-304: GET /image/:key carries a strong validator that names the bytes, and a client
// that sends it back is answered 304 with no body, in every form RFC 9110 gives If-None-Match
// (one tag, a list, W/, *). The image behind a key is changed in Redis by the test itself:
// once the API's L1 may have let go of it (L1_TTL_MS), a tag that named the old bytes must
// not be answered 304.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningService } from '../../../shared/harness/service.ts';
import { redisOf } from '../../05-rate-limiting/test/limit-helpers.ts';
import { sleep } from '../../06-circuit-breaker/test/breaker-helpers.ts';
import { imageRedisKey, readImage, startSeeded } from './cache-helpers.ts';

const stack = inject('stack');
const L1_TTL_MS = 300;

describe('validators on GET /image/:key', () => {
  let svc: RunningService;
  let redis: Redis;
  let seeded: { key: string; image: Buffer };
  beforeAll(async () => {
    redis = await redisOf(stack.redis.url);
    const started = await startSeeded(redis, { count: 1, bytes: 40_000 }, { tree: inject('tree'), stack, processes: ['api'], env: { L1_TTL_MS: String(L1_TTL_MS) } });
    svc = started.svc;
    seeded = started.images[0]!;
  }, 60_000);
  afterAll(async () => {
    await svc?.stopAll();
    redis?.disconnect();
  });

  it('09.etag-304 a strong ETag, 304 with no body for If-None-Match (one tag, a list, W/, *), 200 otherwise, and a new tag when the bytes change', async () => {
    const { key, image } = seeded;
    const first = await readImage(svc, key);
    expect(first.status, 'GET /image/:key of an image in Redis').toBe(200);
    expect(first.body.equals(image), 'the image read is the bytes stored').toBe(true);
    const etag = first.headers.get('etag');
    expect(etag, 'GET /image/:key must carry an ETag').toBeTruthy();
    expect(etag!, 'a strong ETag: a quoted string, without W/ (the bytes are exactly these)').toMatch(/^"[^"]+"$/);
    expect(first.headers.get('cache-control'), 'GET /image/:key must say how caches may keep it (Cache-Control)').toBeTruthy();
    expect(first.headers.get('cache-control')!, 'Cache-Control: a cache that may not store the image never revalidates it').not.toMatch(/no-store/);
    expect(first.headers.get('vary') ?? '', 'Vary: Accept-Encoding (the answer depends on it)').toMatch(/accept-encoding/i);
    const again = await readImage(svc, key);
    expect(again.headers.get('etag'), 'the same bytes read again: the same ETag').toBe(etag);

    for (const [form, value] of [
      ['the tag itself', etag!],
      ['a list holding it', `"not-this-one", ${etag}`],
      ['its weak form (W/)', `W/${etag}`],
      ['*', '*'],
    ] as const) {
      const revalidated = await readImage(svc, key, { 'if-none-match': value });
      expect(revalidated.status, `If-None-Match: ${value} (${form}) must be answered 304 Not Modified`).toBe(304);
      expect(revalidated.body.length, `a 304 (If-None-Match: ${form}) carries no body`).toBe(0);
      expect(revalidated.headers.get('etag'), `a 304 (If-None-Match: ${form}) carries the ETag`).toBe(etag);
    }
    for (const value of ['"something-else"', `"${etag!.slice(1, -2)}"`]) {
      const other = await readImage(svc, key, { 'if-none-match': value });
      expect(other.status, `If-None-Match: ${value} does not name these bytes: 200 with the image`).toBe(200);
      expect(other.body.equals(image), `If-None-Match: ${value}: the image`).toBe(true);
    }

    // Other bytes under the same key (a result computed again, by another optimizer version).
    const replaced = randomBytes(40_000);
    await redis.set(imageRedisKey(svc, key), replaced, 'EX', 3_600);
    await sleep(L1_TTL_MS * 2 + 200);
    const changed = await readImage(svc, key, { 'if-none-match': etag! });
    expect(changed.status, `the image behind the key changed in Redis ${L1_TTL_MS * 2 + 200} ms ago (L1_TTL_MS=${L1_TTL_MS}): the old ETag no longer names it, so it must not be answered 304`).toBe(200);
    expect(changed.body.equals(replaced), 'the image read after the change is the new bytes').toBe(true);
    expect(changed.headers.get('etag'), 'new bytes, new ETag: a strong ETag must name the bytes, not the key').not.toBe(etag);
  });
});
