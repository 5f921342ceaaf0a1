// 10.gc-count: the garbage collections the optimizer runs for 200 uploads of 1 MiB pictures,
// counted by the harness's probe (perf_hooks), against lab 10's starter under the same
// uploads in the same run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { gcOf, inBatches, optimize, paddedPicture, starterTree } from './pool-helpers.ts';

const stack = inject('stack');
const UPLOADS = 200;
const PICTURES = 20;

describe('garbage collections per 1 000 uploads', () => {
  const services: RunningService[] = [];
  let pictures: Buffer[];
  beforeAll(async () => {
    pictures = await Promise.all(Array.from({ length: PICTURES }, (_, i) => paddedPicture(1000 + i, 160 + i, 120)));
  }, 60_000);
  afterAll(() => Promise.all(services.map((svc) => svc.stopAll())));

  async function gcsPer1000(tree: string): Promise<{ perThousand: Record<string, number>; total: number }> {
    const svc = await startService({ tree, stack, processes: ['optimizer'], probe: true, envFor: { optimizer: { OPTIMIZER_CONCURRENCY: '2' } } });
    services.push(svc);
    // A warm-up, so that start-up's own collections are behind us.
    await inBatches(10, 2, (i) => optimize(svc.optimizerUrl, pictures[i % PICTURES]!));
    const before = await gcOf(svc.probeUrl.optimizer);
    const answers = await inBatches(UPLOADS, 2, (i) => optimize(svc.optimizerUrl, pictures[i % PICTURES]!, { wm_text: `gc ${i}` }));
    const after = await gcOf(svc.probeUrl.optimizer);
    await svc.stopAll();
    const failed = answers.filter((answer) => answer.status !== 200);
    expect(failed.map((answer) => `${answer.status} ${answer.body.toString().slice(0, 120)}`), `${tree}: every upload answered 200`).toEqual([]);
    const kinds = ['minor', 'major', 'incremental', 'weakcb'] as const;
    const perThousand = Object.fromEntries(kinds.map((kind) => [kind, ((after[kind] - before[kind]) * 1000) / UPLOADS]));
    return { perThousand, total: kinds.reduce((sum, kind) => sum + perThousand[kind]!, 0) };
  }

  it('10.gc-count 200 uploads of 1 MiB pictures: at most half the starter\'s garbage collections per 1 000 uploads', { timeout: 180_000 }, async () => {
    const starter = await gcsPer1000(starterTree());
    const tree = await gcsPer1000(inject('tree'));
    console.log(`GCs per 1 000 uploads: starter ${JSON.stringify(starter.perThousand)}, this tree ${JSON.stringify(tree.perThousand)}`);
    expect(starter.total, 'the starter ran no GC at all: the probe saw nothing to compare with').toBeGreaterThan(0);
    expect(tree.total, `this tree ran ${tree.total} GCs per 1 000 uploads, the starter ${starter.total}`).toBeLessThanOrEqual(starter.total / 2);
  });
});
