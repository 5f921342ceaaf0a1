import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildBranches } from '../branches.ts';
import { labTree, treeBlobIds } from '../tree.ts';
import { createFixture, type Fixture } from './fixture.ts';

let fx: Fixture;
beforeEach(() => {
  fx = createFixture();
});
afterEach(() => fx.cleanup());

const indexHash = (fx: Fixture) => createHash('sha1').update(readFileSync(join(fx.root, '.git/index'))).digest('hex');

describe('npm run lab branches', () => {
  it('writes lab-NN-starter / lab-NN-solution as one linear history on top of HEAD', () => {
    const head = fx.git('rev-parse', 'HEAD');
    const results = buildBranches(fx.repo);
    expect(results.map((result) => [result.name, result.status])).toEqual([
      ['lab-01-starter', 'created'],
      ['lab-01-solution', 'created'],
      ['lab-02-starter', 'created'],
      ['lab-02-solution', 'created'],
    ]);
    // Each commit has exactly one parent: the previous branch, and HEAD for the first.
    const chain = fx.git('rev-list', '--parents', `${head}..lab-02-solution`).split('\n').map((line) => line.split(' '));
    expect(chain.map((ids) => ids.length)).toEqual([2, 2, 2, 2]);
    expect(chain.map(([commit]) => commit)).toEqual(results.map((result) => result.commit).reverse());
    expect(fx.git('rev-parse', 'lab-01-starter^')).toBe(head);
    expect(fx.git('rev-parse', 'lab-02-starter^')).toBe(fx.git('rev-parse', 'lab-01-solution'));
  });

  it('checks each lab tree in under workspace/, next to a copy of HEAD\'s tree without the cheats', () => {
    buildBranches(fx.repo);
    for (const [number, variant] of [[1, 'starter'], [1, 'solution'], [2, 'starter'], [2, 'solution']] as const) {
      const branch = `lab-0${number}-${variant}`;
      const listed = fx.git('ls-tree', '-r', branch, '--', 'workspace/').split('\n').map((line) => {
        const [info, path] = line.split('\t');
        const [mode, , id] = info!.split(' ');
        return [path!.slice('workspace/'.length), id, mode];
      });
      const expected = [...treeBlobIds(labTree(fx.repo, fx.lab(number), variant))].map(([path, id]) => [path, id, path === 'bin/run.sh' ? '100755' : '100644']);
      expect(listed).toEqual(expected);
      const changed = fx.git('diff', '--no-renames', '--name-only', 'HEAD', branch).split('\n');
      expect(changed.filter((path) => !path.startsWith('workspace/'))).toEqual([
        'labs/01-first/cheats/01.alpha/api/profile.ts',
        'labs/01-first/cheats/01.beta/api/app.ts',
        'labs/02-second/cheats/02.gamma/api/bypass.ts',
      ]);
      expect(fx.git('ls-tree', '-r', '--name-only', branch, '--', 'labs/01-first', 'labs/02-second')).not.toMatch(/\/cheats\//);
    }
  });

  it('leaves the working tree, the index and the current branch untouched', () => {
    fx.write('untracked-note.txt', 'mine\n');
    const status = fx.git('status', '--porcelain');
    const index = indexHash(fx);
    buildBranches(fx.repo);
    expect(fx.git('status', '--porcelain')).toBe(status);
    expect(indexHash(fx)).toBe(index);
    expect(fx.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
  });

  it('gives the same commits when run again from the same HEAD, so nothing needs pushing', () => {
    const first = buildBranches(fx.repo);
    const second = buildBranches(fx.repo);
    expect(second.map((result) => result.commit)).toEqual(first.map((result) => result.commit));
    expect(second.every((result) => result.status === 'unchanged')).toBe(true);
  });

  it('rewrites the branches on top of a new HEAD', () => {
    buildBranches(fx.repo);
    fx.write('README.md', '# new commit\n');
    fx.commit('another commit');
    const results = buildBranches(fx.repo);
    expect(results.every((result) => result.status === 'updated')).toBe(true);
    expect(fx.git('rev-parse', 'lab-01-starter^')).toBe(fx.git('rev-parse', 'HEAD'));
  });

  it('refuses to build from uncommitted lab changes, or while a lab branch is checked out', () => {
    fx.write('labs/01-first/README.md', '# edited\n');
    expect(() => buildBranches(fx.repo)).toThrow('labs/ has uncommitted changes: the branches would not match HEAD');
    fx.git('checkout', '-q', '--', 'labs/01-first/README.md');
    buildBranches(fx.repo);
    fx.git('switch', '-q', 'lab-01-starter');
    expect(() => buildBranches(fx.repo)).toThrow(/HEAD is lab-01-starter, a generated lab branch/);
  });
});
