import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobId } from '../blob.ts';
import { readLockFile } from '../lock-file.ts';
import { checkLocks, findStaleLocks, lockLab } from '../lock.ts';
import { BASE_APP, createFixture, lines, STARTER_APP, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

describe('npm run lab lock', () => {
  it('records, for every overlay file, the git blob id of the file it replaces (null when new)', () => {
    const lock = readLockFile(fx.repo, fx.lab(1));
    const gitId = fx.git('hash-object', 'labs/00-baseline/api/app.ts');
    expect(blobId(BASE_APP)).toBe(gitId);
    expect(lock.starter['api/app.ts']).toEqual({ base: gitId });
    expect(lock.solution['api/app.ts']).toEqual({ base: blobId(STARTER_APP) });
    expect(lock.solution['api/profile.ts']).toEqual({ base: null });
  });

  it('fills in the base of a hand-written deletion', () => {
    const lock = readLockFile(fx.repo, fx.lab(1));
    expect(lock.starter['optimizer/legacy.ts']).toEqual({ base: fx.git('hash-object', 'labs/00-baseline/optimizer/legacy.ts'), delete: true });
  });

  it('adds entries for new overlay files and drops entries of removed ones', () => {
    fx.write('labs/02-second/solution/api/extra.ts', 'export {};\n');
    fx.remove('labs/02-second/solution/api/limit.ts');
    const changes = lockLab(fx.repo, fx.lab(2));
    expect(changes).toEqual([
      { variant: 'solution', path: 'api/extra.ts', change: 'added' },
      { variant: 'solution', path: 'api/limit.ts', change: 'removed' },
    ]);
    expect(Object.keys(readLockFile(fx.repo, fx.lab(2)).solution)).toEqual(['api/extra.ts']);
  });

  it('changes no byte when nothing changed', () => {
    const before = fx.read('labs/02-second/lock.json');
    expect(lockLab(fx.repo, fx.lab(2))).toEqual([]);
    expect(fx.read('labs/02-second/lock.json')).toBe(before);
  });

  it('refuses to overwrite a stale base (that would drop the upstream change) unless forced', () => {
    fx.write('labs/00-baseline/api/app.ts', BASE_APP.replace('8080', '9090'));
    expect(() => lockLab(fx.repo, fx.lab(1))).toThrow(/lab 01 has stale locks: labs\/01-first\/starter\/api\/app\.ts was made against/);
    expect(lockLab(fx.repo, fx.lab(1), { force: true })).toEqual([{ variant: 'starter', path: 'api/app.ts', change: 'updated' }]);
    expect(findStaleLocks(fx.repo)).toEqual([]);
  });
});

describe('the lock check', () => {
  it('passes on a freshly locked repository', () => {
    expect(checkLocks(fx.repo)).toEqual([]);
  });

  it('fails after an upstream change, naming the stale overlay, both blob ids and the re-base command', () => {
    const old = blobId(BASE_APP);
    const changed = BASE_APP.replace('8080', '9090');
    fx.write('labs/00-baseline/api/app.ts', changed);
    const problems = checkLocks(fx.repo);
    expect(problems).toEqual([
      {
        message: `labs/01-first/starter/api/app.ts was made against ${old.slice(0, 12)}, upstream is now ${blobId(changed).slice(0, 12)}`,
        fix: 'npm run lab rebase 01',
      },
    ]);
  });

  it("sees an earlier lab's solution that starts changing a file as stale for the later lab overlaying it", () => {
    fx.write('labs/01-first/solution/api/server.ts', lines('// lab 01 now changes server.ts too'));
    lockLab(fx.repo, fx.lab(1));
    expect(findStaleLocks(fx.repo).map((entry) => entry.file)).toEqual(['labs/02-second/starter/api/server.ts']);
  });

  it('reports a deletion whose file changed upstream', () => {
    fx.write('labs/00-baseline/optimizer/legacy.ts', 'changed\n');
    expect(checkLocks(fx.repo).map((problem) => problem.message)).toEqual([
      expect.stringMatching(/^labs\/01-first\/starter\/optimizer\/legacy\.ts \(deletion\) was made against [0-9a-f]{12}, upstream is now [0-9a-f]{12}$/),
    ]);
  });

  it('reports a new file when upstream now has a file at that path', () => {
    fx.write('labs/00-baseline/api/profile.ts', 'upstream now has it\n');
    expect(checkLocks(fx.repo).map((problem) => problem.message)).toContain(
      `labs/01-first/solution/api/profile.ts was made against no file, upstream is now ${blobId('upstream now has it\n').slice(0, 12)}`,
    );
  });

  it('reports stray overlay files with the command that fixes them', () => {
    fx.write('labs/01-first/starter/api/stray.ts', 'x\n');
    expect(checkLocks(fx.repo)).toEqual([
      { message: 'labs/01-first/starter/api/stray.ts has no entry in labs/01-first/lock.json', fix: 'npm run lab lock 01' },
    ]);
  });
});
