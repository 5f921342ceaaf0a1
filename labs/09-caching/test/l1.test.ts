// 09.l1: an image read again is answered from the API's own memory, which Redis's MONITOR
// proves (no command naming its key reaches Redis, from any client); and that memory is
// bounded by bytes: reading twice L1_MAX_BYTES of distinct images grows the API's heap and
// external memory (after a full GC, from the harness's probe) by little more than the limit,
// while the images read last are still held and the first ones have gone.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningService } from '../../../shared/harness/service.ts';
import { apiMemory, imageRedisKey, MiB, readImage, readMany, startWatched, type Watched } from './cache-helpers.ts';

const stack = inject('stack');
const LIMIT = 8 * MiB;
const IMAGE_BYTES = 256 * 1024;
const IMAGES = (2 * LIMIT) / IMAGE_BYTES; // 64: twice the limit
/** What the limit may be exceeded by: the L1's own bookkeeping and the API's buffers in use. */
const SLACK = 2 * MiB;

describe('the API\'s L1', () => {
  let run: Watched;
  let svc: RunningService;
  beforeAll(async () => {
    run = await startWatched({ count: IMAGES + 1, bytes: IMAGE_BYTES }, { tree: inject('tree'), stack, processes: ['api'], probe: true, env: { L1_MAX_BYTES: String(LIMIT), L1_TTL_MS: '600000' } });
    svc = run.svc;
  }, 60_000);
  afterAll(() => run?.stop());

  async function commandsFor(key: string, read: () => Promise<void>): Promise<string[][]> {
    await run.watch.settle();
    const before = run.watch.commands(imageRedisKey(svc, key)).length;
    await read();
    await run.watch.settle();
    return run.watch.commands(imageRedisKey(svc, key)).slice(before);
  }

  it('09.l1 a repeated GET /image/:key sends Redis no command for its key', async () => {
    const { key, image } = run.images[IMAGES]!;
    const first = await commandsFor(key, async () => {
      expect((await readImage(svc, key)).body.equals(image), 'the first read: the image stored in Redis').toBe(true);
    });
    expect(first.length, 'the first read of an image must go to Redis (MONITOR saw no command for its key: is MONITOR watching?)').toBeGreaterThanOrEqual(1);
    const second = await commandsFor(key, async () => {
      expect((await readImage(svc, key)).body.equals(image), 'the second read: the same image').toBe(true);
    });
    expect(second.map((args) => args[0]), 'commands Redis ran for the image\'s key on its second read: it must be answered from the API\'s memory').toEqual([]);
  });

  it(`09.l1 reading ${IMAGES} images of 256 KiB (twice L1_MAX_BYTES=8 MiB) grows the API's memory by at most 8 + 2 MiB, keeps the last ones and lets the first ones go`, { timeout: 60_000 }, async () => {
    const images = run.images.slice(0, IMAGES);
    const before = await apiMemory(svc);
    const answers = await readMany(svc, images.map(({ key }) => key), 4);
    const wrong = answers.filter((answer, i) => answer.status !== 200 || !answer.body.equals(images[i]!.image)).length;
    expect(wrong, 'reads that did not answer the image stored in Redis').toBe(0);
    const after = await apiMemory(svc);
    const grown = after.heapUsed + after.external - (before.heapUsed + before.external);
    console.log(`09.l1: ${IMAGES} × 256 KiB read; heap ${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB, external ${((after.external - before.external) / MiB).toFixed(1)} MiB more (limit ${LIMIT / MiB} MiB)`);
    expect(grown, `the API holds ${(grown / MiB).toFixed(1)} MiB more after reading ${(2 * LIMIT) / MiB} MiB of images: L1_MAX_BYTES is ${LIMIT / MiB} MiB (plus ${SLACK / MiB} MiB of slack)`).toBeLessThanOrEqual(LIMIT + SLACK);

    const last = images.slice(-8);
    const lastCommands = await Promise.all(last.map(({ key }) => commandsFor(key, async () => void (await readImage(svc, key)))));
    expect(lastCommands.flat().length, 'Redis commands for the 8 images read last (2 MiB, well inside the limit): L1 must still hold them').toBe(0);
    const firstKey = images[0]!.key;
    const evicted = await commandsFor(firstKey, async () => {
      expect((await readImage(svc, firstKey)).body.equals(images[0]!.image), 'the first image read again').toBe(true);
    });
    expect(evicted.length, `the first of ${IMAGES} images read again sent Redis no command: ${(2 * LIMIT) / MiB} MiB were read after it into an L1 of ${LIMIT / MiB} MiB, so it cannot still be there`).toBeGreaterThanOrEqual(1);
  });
});
