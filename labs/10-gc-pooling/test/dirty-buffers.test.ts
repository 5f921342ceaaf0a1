// 10.no-dirty-buffers: different pictures, some with their own watermark fields and some with
// none, sent straight to an optimizer with one worker while six are in flight, so that pooled
// memory is handed from request to request. Each answer must be what the tree's own pipeline
// makes of that request's picture and parameters: nothing of another request in it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { difference, inBatches, optimize, paddedPicture, referenceImage, type Fields } from './pool-helpers.ts';

const stack = inject('stack');
const UPLOADS = 24;
const IN_FLIGHT = 6;
const POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];
// The same pixels and parameters encode to the same JPEG: a few stray pixels at most.
const MAX_CHANGED = 0.002;

describe('pooled memory handed from request to request', () => {
  let svc: RunningService;
  let pictures: Buffer[];
  beforeAll(async () => {
    [svc, pictures] = await Promise.all([
      startService({ tree: inject('tree'), stack, processes: ['optimizer'], envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '1', OPTIMIZER_QUEUE_LIMIT: '64' } } }),
      Promise.all(Array.from({ length: UPLOADS }, (_, i) => paddedPicture(7000 + i, 120 + 9 * i, 90 + 4 * i, 200 * 1024))),
    ]);
  }, 60_000);
  afterAll(() => svc?.stopAll());

  it('10.no-dirty-buffers 24 different uploads, six in flight: every answer is its own picture with its own (or the default) watermark', { timeout: 120_000 }, async () => {
    // Even uploads name their text and position; odd ones send neither and must get the defaults.
    const fieldsOf = (i: number): Fields => (i % 2 === 0 ? { wm_text: `request ${i} ${'#'.repeat(1 + (i % 7))}`, wm_position: POSITIONS[(i / 2) % 4]! } : {});
    const answers = await inBatches(UPLOADS, IN_FLIGHT, (i) => optimize(svc.optimizerUrl, pictures[i]!, fieldsOf(i)));
    const wrong: string[] = [];
    for (const [i, answer] of answers.entries()) {
      if (answer.status !== 200) {
        wrong.push(`upload ${i}: ${answer.status} ${answer.body.toString().slice(0, 160)}`);
        continue;
      }
      const expected = await referenceImage(inject('tree'), pictures[i]!, fieldsOf(i));
      const { sizeA, sizeB, changed } = await difference(answer.body, expected);
      if (changed > MAX_CHANGED) wrong.push(`upload ${i} (${JSON.stringify(fieldsOf(i))}): answered ${sizeA}, expected ${sizeB}, ${(changed * 100).toFixed(1)} % of the pixels differ`);
    }
    expect(wrong, 'answers that are not their own request\'s picture and watermark').toEqual([]);
  });
});
