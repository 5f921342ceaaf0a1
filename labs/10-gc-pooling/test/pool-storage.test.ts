// 10.no-pool-as-storage: six pictures sent at once to an optimizer with one worker; while the
// last of them wait for it, the harness forces full garbage collections in the optimizer (its
// preloaded probe), which clear anything held only weakly. Every upload must still be answered
// with its own picture.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { waitFor } from '../../../shared/harness/wait.ts';
import { difference, fullGc, optimize, referenceImage, sleep, type Answer } from './pool-helpers.ts';

const stack = inject('stack');
const UPLOADS = 6;

describe('uploads waiting for a worker through garbage collections', () => {
  let svc: RunningService;
  let pictures: Buffer[];
  beforeAll(async () => {
    [svc, pictures] = await Promise.all([
      startService({ tree: inject('tree'), stack, processes: ['optimizer'], probe: true, envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '1', OPTIMIZER_QUEUE_LIMIT: '64' } } }),
      // Large enough that each takes the one worker a while; each its own size.
      Promise.all(Array.from({ length: UPLOADS }, (_, i) => photoJpeg(2400 + 32 * i, 1800))),
    ]);
  }, 90_000);
  afterAll(() => svc?.stopAll());

  it('10.no-pool-as-storage six uploads waiting for one worker through forced full GCs: all answered with their own picture', { timeout: 120_000 }, async () => {
    const settled: Array<Answer | undefined> = Array.from({ length: UPLOADS }, () => undefined);
    const sent = pictures.map((picture, i) => optimize(svc.optimizerUrl, picture, { wm_text: `kept ${i}` }).then((answer) => (settled[i] = answer)));
    // Every body read (its read step logged): the uploads now wait in the optimizer's memory.
    await waitFor('the optimizer to read all six uploads', async () => ((svc.logs('optimizer').match(/"step":"read"/g) ?? []).length >= UPLOADS ? true : undefined), 30_000, 20);
    const waitingAtFirstGc = settled.filter((answer) => !answer).length;
    let collections = 0;
    while (settled.some((answer) => !answer) && collections < 200) {
      await fullGc(svc.probeUrl.optimizer);
      collections++;
      await sleep(50);
    }
    const answers = await Promise.all(sent);
    expect(waitingAtFirstGc, 'at most one upload may have been answered before the first forced GC, or the test observed nothing waiting').toBeGreaterThanOrEqual(UPLOADS - 1);
    const wrong: string[] = [];
    for (const [i, answer] of answers.entries()) {
      if (answer.status !== 200) {
        wrong.push(`upload ${i}: ${answer.status} ${answer.body.toString().slice(0, 160)}`);
        continue;
      }
      const { sizeA, sizeB, changed } = await difference(answer.body, await referenceImage(inject('tree'), pictures[i]!, { wm_text: `kept ${i}` }));
      if (changed > 0.002) wrong.push(`upload ${i}: answered ${sizeA}, expected ${sizeB}, ${(changed * 100).toFixed(1)} % of the pixels differ`);
    }
    expect(wrong, `uploads lost or changed across ${collections} forced GCs`).toEqual([]);
  });
});
