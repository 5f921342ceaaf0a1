// The hotspot the profile finds, and the proof it is gone: the optimizer's own JavaScript
// leaves the profile taken under upload load, the text colour still follows the background
// under the text, and the optimizer comes close to the bare sharp pipeline.
import { createHash, randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { barePipeline } from '../../../shared/harness/bare-pipeline.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { expectTextTone, lumaDifference, sizeOf } from './output-checks.ts';
import { splitBackground, withComment } from './pictures.ts';
import { adminGet, decodeProfile, describeSelfTime, excerpt, garbageCollectionMs, isOwnCode, selfTimeRanking } from './pprof-helpers.ts';
import { optimize, uploadOk } from './requests.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
});
afterAll(() => svc?.stopAll());

/** Wall time of one call, in milliseconds. */
async function timeMs(once: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await once();
  return performance.now() - started;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

const maxOwnShare = 0.1; // of the profiled time: the JS pixel walk and its GC hold most of it
// Mean luma levels (0–255) from the bare pipeline's picture: the solution is about 1 (the bare
// pipeline encodes once more); a nearest-neighbour resize is about 6.
const maxDifference = 2.5;
const run = randomBytes(3).toString('hex'); // in every watermark text: no earlier answer fits

describe('the colour sampler hotspot', () => {
  it('01.hotspot-gone keeps the optimizer\'s own JavaScript and its garbage collection under 10 % of a profile taken under upload load', { timeout: 60_000 }, async () => {
    // Any answer will do here: an admin port that is not there fails before the photo is made.
    await adminGet(`${svc.adminUrl.optimizer}/`, 'optimizer', 2_000);
    const image = await photoJpeg(2400, 1800);
    const seconds = 3;
    const url = `${svc.adminUrl.optimizer}/debug/pprof/profile?seconds=${seconds}`;
    let answered = false;
    const answer = adminGet(url, 'optimizer', (seconds * 2 + 10) * 1000).finally(() => (answered = true));
    answer.catch(() => {}); // awaited below; an upload failure must not leave it unhandled
    // Two clients keep the optimizer busy until the profile is back, each with a new text.
    let sent = 0;
    const client = async () => {
      while (!answered) await optimize(svc.optimizerUrl, image, `hotspot ${run} #${++sent}`, 15_000);
    };
    await Promise.all([client(), client()]);
    const done = await answer;
    expect(done.status, `GET ${url} answered ${done.status}: ${excerpt(done)}`).toBe(200);

    const decoded = decodeProfile(done.body, `the answer to GET ${url}`);
    const ranking = selfTimeRanking(decoded);
    expect(ranking.length, `the profile holds no function at all: did it record the ${sent} uploads?`).toBeGreaterThan(0);
    // Whatever file the work moved to: all of the optimizer's own code outside node_modules,
    // and the garbage collection that a walk with an object per pixel brings along.
    const tree = realpathSync(inject('tree'));
    const named = decoded.profile.function.some((fn) => isOwnCode(decoded.str(fn.filename), tree));
    expect(named, `the profile names no function in a file under ${tree}, so the optimizer's own code cannot be told apart`).toBe(true);
    const own = ranking.filter((entry) => isOwnCode(entry.file, tree));
    const ownMs = own.reduce((sum, entry) => sum + entry.ms, 0);
    const gcMs = garbageCollectionMs(decoded);
    const profiledMs = Number(decoded.profile.durationNanos) / 1e6;
    const share = (ownMs + gcMs) / profiledMs;
    if (share > maxOwnShare) {
      expect.fail(`the optimizer's own JavaScript (${ownMs.toFixed(0)} ms) and garbage collection (${gcMs.toFixed(0)} ms) took ${(share * 100).toFixed(0)} % of the ${(profiledMs / 1000).toFixed(1)} s profiled during ${sent} uploads (limit ${maxOwnShare * 100} %); its top self time: ${own.slice(0, 5).map(describeSelfTime).join(', ')}`);
    }
  });

  it('01.hotspot-gone still picks the text colour from the background under the text', { timeout: 30_000 }, async () => {
    // Dark picture, light bottom-right quarter: only a sampler that reads the text box gets both right.
    const image = await splitBackground();
    const onLight = await uploadOk(svc.apiUrl, { image, wmText: `Tone ${run} a`, wmPosition: 'bottom-right' }, 10_000);
    await expectTextTone(onLight, 'bottom-right', 'dark', 'text over the light bottom-right quarter of a dark picture (the colour comes from under the text box)');
    const onDark = await uploadOk(svc.apiUrl, { image, wmText: `Tone ${run} b`, wmPosition: 'top-left' }, 10_000);
    await expectTextTone(onDark, 'top-left', 'light', 'text over the dark top-left of a picture with a light corner (the colour comes from under the text box)');
  });

  it('01.near-library-speed takes at most 1.5× the bare sharp pipeline per 4000×3000 photo, with the same pixels', { timeout: 90_000 }, async () => {
    const photo = await photoJpeg();
    // Every run its own text and its own bytes (same pixels): nothing a cache holds answers it.
    const inputs = Array.from({ length: 6 }, (_, i) => ({ image: withComment(photo, `run ${run} #${i}`), text: `Speed ${run} ${i}` }));
    const bare = (i: number) => barePipeline(inputs[i]!.image, inputs[i]!.text);
    const once = (i: number) => optimize(svc.optimizerUrl, inputs[i]!.image, inputs[i]!.text, 20_000);
    await bare(0); // warm-ups: the first call of each side pays for loading and caches
    await once(0);
    // Bare and optimizer runs alternate, so a burst of other work on the machine slows both
    // sides alike instead of skewing whichever happened to run during it.
    const bareMs: number[] = [];
    const optimizerMs: number[] = [];
    const references: Buffer[] = [];
    const answers: Buffer[] = [];
    for (let i = 1; i < inputs.length; i++) {
      bareMs.push(await timeMs(async () => references.push(await bare(i))));
      optimizerMs.push(await timeMs(async () => answers.push(await once(i))));
      // A clear miss shows on the first pair (the pixel-walking starter is 4–8× slower): no
      // need for the full measurement then.
      if (i === 1 && optimizerMs[0]! > bareMs[0]! * 3) {
        expect.fail(`the optimizer took ${optimizerMs[0]!.toFixed(0)} ms for one photo, ${(optimizerMs[0]! / bareMs[0]!).toFixed(1)}× the bare sharp pipeline's ${bareMs[0]!.toFixed(0)} ms (limit 1.5×)`);
      }
    }
    const [optimizer, library] = [median(optimizerMs), median(bareMs)];
    const ratio = optimizer / library;
    if (ratio > 1.5) {
      expect.fail(`the optimizer's median is ${optimizer.toFixed(0)} ms per photo, ${ratio.toFixed(2)}× the bare sharp pipeline's ${library.toFixed(0)} ms (limit 1.5×)`);
    }
    await expectSameWork(answers, references);
  });
});

/** The speed counts only if each answer is the picture asked for: its own text, the bare pipeline's pixels. */
async function expectSameWork(answers: Buffer[], references: Buffer[]): Promise<void> {
  const digests = new Set(answers.map((answer) => createHash('sha256').update(answer).digest('hex')));
  expect(digests.size, `${answers.length} runs with ${answers.length} different texts got ${digests.size} different answers: is a cache answering?`).toBe(answers.length);
  for (const [i, answer] of answers.entries()) {
    const [width, height] = await sizeOf(answer);
    expect(`${width}×${height}`, `run ${i + 1}: the optimizer's answer is not the size of the bare pipeline's`).toBe((await sizeOf(references[i]!)).join('×'));
    // The top half holds no watermark on either side: there the pixels must match.
    const difference = await lumaDifference(answer, references[i]!, { left: 0, top: 0, width, height: Math.floor(height / 2) });
    expect(difference, `run ${i + 1}: the optimizer's picture differs from the bare pipeline's by ${difference.toFixed(1)} luma levels on average, away from the text`).toBeLessThanOrEqual(maxDifference);
    await expectTextTone(answer, 'bottom-right', 'light', `run ${i + 1}: the text over the photo's dark foreground`);
  }
}
