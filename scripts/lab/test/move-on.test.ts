import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { movingOn, nextAfterGreen } from '../move-on.ts';
import { readProgress, recordVerify, writeProgress } from '../progress.ts';
import { readWorkspaceState, startWorkspace } from '../workspace.ts';
import { createFixture, SOLUTION_APP, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

const now = new Date('2031-02-03T04:05:06.789Z');
const verified = (criteria: Record<string, 'passed' | 'failed'>) =>
  writeProgress(fx.repo, recordVerify(readProgress(fx.repo), fx.lab(1), criteria, now));

describe('moving from lab N to lab N+1', () => {
  it('starts lab N+1 over the learner\'s edits once lab N passed verify, after a backup that keeps them', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    fx.write('workspace/api/app.ts', 'my lab 01 work\n');
    verified({ '01.alpha': 'passed', '01.beta': 'passed', '01.extra': 'failed' });
    const moving = movingOn(fx.repo, fx.lab(2));
    expect(moving).toEqual({ from: fx.lab(1), passed: true });
    const result = startWorkspace(fx.repo, fx.lab(2), 'starter', { now, movingOn: moving });
    expect(readFileSync(join(result.backup!, 'api/app.ts'), 'utf8')).toBe('my lab 01 work\n');
    expect(fx.read('workspace/api/app.ts')).toBe(SOLUTION_APP);
    expect(readWorkspaceState(fx.repo)).toMatchObject({ lab: '02-second', variant: 'starter' });
  });

  it('refuses while lab N has not passed, saying so and offering --carry or --force', () => {
    startWorkspace(fx.repo, fx.lab(1), 'starter', { now });
    fx.write('workspace/api/app.ts', 'my lab 01 work\n');
    verified({ '01.alpha': 'failed', '01.beta': 'passed', '01.extra': 'passed' });
    const moving = movingOn(fx.repo, fx.lab(2));
    expect(moving).toMatchObject({ passed: false });
    let error: { message: string; fix?: string } | undefined;
    try {
      startWorkspace(fx.repo, fx.lab(2), 'starter', { now, movingOn: moving });
    } catch (caught) {
      error = caught as typeof error;
    }
    expect(error?.message).toBe('workspace/ has 1 file changed that lab 02 starter would overwrite: api/app.ts, and lab 01 has not passed npm run verify lab-01 yet');
    expect(error?.fix).toBe(
      "npm run lab start 02 -- --carry (merges lab 02's starter into your code) or -- --force (starts from lab 01's solution; a backup of workspace/ goes to .lab/backups/)",
    );
    expect(fx.read('workspace/api/app.ts')).toBe('my lab 01 work\n');
  });

  it('is no move when workspace/ holds another lab than the one before', () => {
    startWorkspace(fx.repo, fx.lab(2), 'starter', { now });
    expect(movingOn(fx.repo, fx.lab(2))).toBeNull();
    expect(movingOn(fx.repo, fx.lab(1))).toBeNull();
  });

  it('points a green lab at its debrief once it is written, then at the next lab or the cumulative check', () => {
    expect(nextAfterGreen(fx.repo, fx.lab(1))).toBe('npm run lab start 02');
    fx.write('labs/01-first/DEBRIEF.md', '# Debrief\n');
    expect(nextAfterGreen(fx.repo, fx.lab(1))).toBe('npm run lab debrief 01, then npm run lab start 02');
    expect(nextAfterGreen(fx.repo, fx.lab(2))).toBe('npm run verify lab-02 -- --cumulative proves every lab still holds; lab 05 is not written yet');
  });
});
