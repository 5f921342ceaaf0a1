import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { nextHint } from '../hint.ts';
import { loadLabMeta } from '../lab-meta.ts';
import { labProgress, progressCell, progressLine, readProgress, recordVerify, writeProgress } from '../progress.ts';
import { createFixture, labJson, type Fixture } from './fixture.ts';

// One repository for the file; each test starts from no local progress and the original lab.json.
let fx: Fixture;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => fx.cleanup());
afterEach(() => {
  fx.remove('.lab');
  fx.git('checkout', '-q', '--', 'labs');
});

const verified = (fx: Fixture, number: number, criteria: Record<string, 'passed' | 'failed'>) =>
  writeProgress(fx.repo, recordVerify(readProgress(fx.repo), fx.lab(number), criteria, new Date('2031-01-01T00:00:00Z')));

describe('npm run lab hint', () => {
  it('reveals the first criterion\'s hints one at a time when the lab was never verified', () => {
    expect(nextHint(fx.repo, fx.lab(1))).toMatchObject({ kind: 'hint', criterion: { id: '01.alpha' }, number: 1, total: 2, text: 'first hint for alpha', why: 'not-verified', skipped: [] });
    expect(nextHint(fx.repo, fx.lab(1))).toMatchObject({ kind: 'hint', number: 2, text: 'second hint for alpha' });
    expect(readProgress(fx.repo).hints).toEqual({ '01.alpha': 2 });
  });

  it('moves on to the next open criterion once the first one\'s hints are all revealed, and shows them all when none has hints left', () => {
    verified(fx, 1, { '01.alpha': 'failed', '01.beta': 'failed', '01.extra': 'failed' });
    writeProgress(fx.repo, { ...readProgress(fx.repo), hints: { '01.alpha': 2 } });
    const next = nextHint(fx.repo, fx.lab(1));
    expect(next).toMatchObject({ kind: 'hint', criterion: { id: '01.beta' }, number: 1, why: 'failing' });
    expect(next.kind === 'hint' && next.skipped.map((criterion) => criterion.id)).toEqual(['01.alpha']);
    writeProgress(fx.repo, { ...readProgress(fx.repo), hints: { '01.alpha': 2, '01.beta': 2, '01.extra': 2 } });
    expect(nextHint(fx.repo, fx.lab(1))).toMatchObject({ kind: 'exhausted', criterion: { id: '01.alpha' }, hints: ['first hint for alpha', 'second hint for alpha'] });
  });

  it('reveals the hints of the criterion named, by its full or its short id, whatever the others do', () => {
    verified(fx, 1, { '01.alpha': 'failed', '01.beta': 'passed', '01.extra': 'failed' });
    expect(nextHint(fx.repo, fx.lab(1), '01.beta')).toMatchObject({ kind: 'hint', criterion: { id: '01.beta' }, number: 1, why: 'passed' });
    expect(nextHint(fx.repo, fx.lab(1), 'beta')).toMatchObject({ kind: 'hint', criterion: { id: '01.beta' }, number: 2 });
    expect(nextHint(fx.repo, fx.lab(1), 'BETA')).toMatchObject({ kind: 'exhausted', criterion: { id: '01.beta' } });
    expect(readProgress(fx.repo).hints).toEqual({ '01.beta': 2 });
  });

  it('names the lab\'s criteria when the one asked for does not exist', () => {
    expect(() => nextHint(fx.repo, fx.lab(1), 'gamma')).toThrow('lab 01 has no criterion "gamma"; its criteria: 01.alpha, 01.beta, 01.extra');
    expect(() => nextHint(fx.repo, fx.lab(1), '02.gamma')).toThrow(UserError);
  });

  it('goes to the first required criterion still failing at the last verify', () => {
    verified(fx, 1, { '01.alpha': 'passed', '01.beta': 'failed', '01.extra': 'failed' });
    expect(nextHint(fx.repo, fx.lab(1))).toMatchObject({ kind: 'hint', criterion: { id: '01.beta' }, why: 'failing' });
  });

  it('turns to bonus criteria once every required one passes, and has nothing left when all pass', () => {
    verified(fx, 1, { '01.alpha': 'passed', '01.beta': 'passed', '01.extra': 'failed' });
    expect(nextHint(fx.repo, fx.lab(1))).toMatchObject({ criterion: { id: '01.extra' } });
    verified(fx, 1, { '01.alpha': 'passed', '01.beta': 'passed', '01.extra': 'passed' });
    expect(nextHint(fx.repo, fx.lab(1))).toEqual({ kind: 'all-passed' });
  });
});

describe('progress', () => {
  it('counts required criteria passed per lab, and bonus ones apart', () => {
    verified(fx, 1, { '01.alpha': 'passed', '01.beta': 'failed', '01.extra': 'passed' });
    const entry = labProgress(fx.lab(1), loadLabMeta(fx.repo, fx.lab(1)), readProgress(fx.repo));
    expect(entry).toMatchObject({ verified: true, required: 2, requiredPassed: 1, bonus: 1, bonusPassed: 1 });
    expect(progressCell(entry)).toBe('1/2 +1 bonus');
  });

  it('ignores results of criteria that lab.json no longer has', () => {
    verified(fx, 2, { '02.gamma': 'passed', '02.removed': 'failed' });
    fx.write('labs/02-second/lab.json', labJson('02', 'Second lab', ['gamma', 'delta']));
    const entry = labProgress(fx.lab(2), loadLabMeta(fx.repo, fx.lab(2)), readProgress(fx.repo));
    expect(entry).toMatchObject({ required: 1, requiredPassed: 1, bonus: 1, bonusPassed: 0 });
  });

  it('sums up every lab in one line', () => {
    verified(fx, 1, { '01.alpha': 'passed', '01.beta': 'passed' });
    const progress = readProgress(fx.repo);
    const entries = [1, 2].map((number) => labProgress(fx.lab(number), loadLabMeta(fx.repo, fx.lab(number)), progress));
    expect(progressLine(entries)).toBe('Progress: 1 of 2 labs done, 2/3 required criteria · 01 ✓ · 02 –');
  });

  it('explains what to do when progress.json is damaged', () => {
    fx.write('.lab/progress.json', '{ nope');
    expect(() => readProgress(fx.repo)).toThrow('.lab/progress.json is damaged and cannot be read');
  });
});
