import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobId } from '../blob.ts';
import { checkConflictMarkers } from '../check.ts';
import { readLockFile, writeLockFile } from '../lock-file.ts';
import { checkLocks } from '../lock.ts';
import { rebaseLab } from '../rebase.ts';
import { BASE_APP, CHEAT_APP, createFixture, SOLUTION_APP, STARTER_APP, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

const upstreamEdit = (text: string) => text.replace('export const port = 8080;', 'export const port = Number(process.env.PORT);');

describe('npm run lab rebase', () => {
  it('merges a non-conflicting upstream change into the stale overlay and records the new base', () => {
    fx.write('labs/00-baseline/api/app.ts', upstreamEdit(BASE_APP));
    expect(checkLocks(fx.repo)).toHaveLength(1);

    const result = rebaseLab(fx.repo, fx.lab(1));

    expect(result.outcomes).toEqual([
      expect.objectContaining({ variant: 'starter', path: 'api/app.ts', result: 'merged' }),
      expect.objectContaining({ variant: 'solution', path: 'api/app.ts', result: 'merged' }),
      expect.objectContaining({ variant: 'cheats/01.beta', path: 'api/app.ts', result: 'merged' }),
    ]);
    // Every overlay keeps its own change and gains the upstream one; the cheat merges against the re-based solution.
    expect(fx.read('labs/01-first/starter/api/app.ts')).toBe(upstreamEdit(STARTER_APP));
    expect(fx.read('labs/01-first/solution/api/app.ts')).toBe(upstreamEdit(SOLUTION_APP));
    expect(fx.read('labs/01-first/cheats/01.beta/api/app.ts')).toBe(upstreamEdit(CHEAT_APP));
    expect(readLockFile(fx.repo, fx.lab(1)).starter['api/app.ts']!.base).toBe(blobId(upstreamEdit(BASE_APP)));
    expect(checkLocks(fx.repo)).toEqual([]);
  });

  it('writes a conflicting change into the overlay with markers and reports it, never dropping a side', () => {
    fx.write('labs/00-baseline/api/app.ts', BASE_APP.replace('"hello"', '"bonjour"'));

    const result = rebaseLab(fx.repo, fx.lab(1));

    expect(result.outcomes).toEqual([
      expect.objectContaining({ variant: 'starter', path: 'api/app.ts', result: 'conflict', detail: '1 conflict marked in the file' }),
    ]);
    expect(result.solutionPostponed).toBe(true);
    const merged = fx.read('labs/01-first/starter/api/app.ts');
    expect(merged).toMatch(/^<<<<<<< labs\/01-first\/starter\/api\/app\.ts$/m);
    expect(merged).toContain('const greeting = "hello"; // TODO lab 01');
    expect(merged).toContain('const greeting = "bonjour";');
    expect(merged).toMatch(/^>>>>>>> upstream \(baseline\)$/m);
    // The markers keep `lab check` red until someone resolves them.
    expect(checkConflictMarkers(fx.repo)).toEqual([expect.objectContaining({ message: expect.stringContaining('labs/01-first/starter/api/app.ts has conflict markers') })]);
  });

  it('takes up the solution overlay on the next run, against the resolved starter', () => {
    fx.write('labs/00-baseline/api/app.ts', BASE_APP.replace('"hello"', '"bonjour"'));
    rebaseLab(fx.repo, fx.lab(1));
    const resolved = STARTER_APP.replace('"hello"', '"bonjour"');
    fx.write('labs/01-first/starter/api/app.ts', resolved);

    const result = rebaseLab(fx.repo, fx.lab(1));

    expect(result.outcomes).toEqual([expect.objectContaining({ variant: 'solution', path: 'api/app.ts', result: 'conflict' })]);
    expect(readLockFile(fx.repo, fx.lab(1)).solution['api/app.ts']!.base).toBe(blobId(resolved));
  });

  it('keeps a deletion when upstream changed the deleted file, moving only its base', () => {
    fx.write('labs/00-baseline/optimizer/legacy.ts', 'changed upstream\n');
    const result = rebaseLab(fx.repo, fx.lab(1));
    expect(result.outcomes).toEqual([expect.objectContaining({ path: 'optimizer/legacy.ts', result: 'deletion-kept' })]);
    expect(readLockFile(fx.repo, fx.lab(1)).starter['optimizer/legacy.ts']).toEqual({ base: blobId('changed upstream\n'), delete: true });
  });

  it('does nothing to a lab whose locks are fresh', () => {
    expect(rebaseLab(fx.repo, fx.lab(2)).outcomes).toEqual([]);
  });

  it('stops with a clear error, touching nothing, when the base blob is not in git', () => {
    const lock = readLockFile(fx.repo, fx.lab(1));
    lock.starter['api/app.ts'] = { base: 'f'.repeat(40) };
    writeLockFile(fx.lab(1), lock);
    expect(() => rebaseLab(fx.repo, fx.lab(1))).toThrow(
      `the base of labs/01-first/starter/api/app.ts (blob ${'f'.repeat(40)}) is not in this repository's git objects, so there is nothing to merge from`,
    );
    expect(fx.read('labs/01-first/starter/api/app.ts')).toBe(STARTER_APP);
  });
});
