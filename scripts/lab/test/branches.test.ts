import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { branchGitignore, buildBranches, leftOut } from '../branches.ts';
import { labTree, treeBlobIds } from '../tree.ts';
import { createFixture, type Fixture } from './fixture.ts';

const indexHash = (fx: Fixture) => createHash('sha1').update(readFileSync(join(fx.root, '.git/index'))).digest('hex');

describe('npm run lab branches', () => {
  let fx: Fixture;
  beforeEach(() => {
    fx = createFixture();
  });
  afterEach(() => fx.cleanup());

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

  it('checks each lab tree in under workspace/, with the .lab-state.json that lab start would write', () => {
    buildBranches(fx.repo);
    for (const [number, variant] of [[1, 'starter'], [1, 'solution'], [2, 'starter'], [2, 'solution']] as const) {
      const branch = `lab-0${number}-${variant}`;
      const listed = fx.git('ls-tree', '-r', branch, '--', 'workspace/').split('\n').map((line) => {
        const [info, path] = line.split('\t');
        const [mode, , id] = info!.split(' ');
        return [path!.slice('workspace/'.length), id, mode];
      });
      const tree = treeBlobIds(labTree(fx.repo, fx.lab(number), variant));
      const expected = [...tree].map(([path, id]) => [path, id, path === 'bin/run.sh' ? '100755' : '100644']);
      expect(listed.filter(([path]) => path !== '.lab-state.json')).toEqual(expected);
      const state = JSON.parse(fx.git('show', `${branch}:workspace/.lab-state.json`));
      expect(state).toMatchObject({ formatVersion: 1, lab: fx.lab(number).name, variant, files: Object.fromEntries(tree) });
      expect(new Date(state.writtenAt).getTime() / 1000).toBe(Number(fx.git('log', '-1', '--format=%ct', 'HEAD')));
    }
  });

  it('leaves out the cheats, every later lab, and on a starter its own lab\'s solution and debrief', () => {
    fx.write('labs/01-first/DEBRIEF.md', '# Debrief 01\n');
    fx.write('labs/02-second/DEBRIEF.md', '# Debrief 02\n');
    fx.commit('debriefs');
    buildBranches(fx.repo);
    const labFiles = (branch: string) => fx.git('ls-tree', '-r', '--name-only', branch, '--', 'labs/01-first', 'labs/02-second').split('\n');
    const lab01Starter = ['labs/01-first/README.md', 'labs/01-first/lab.json', 'labs/01-first/lock.json', 'labs/01-first/starter/api/app.ts', 'labs/01-first/test/first.test.ts'];
    const lab01 = [...lab01Starter, 'labs/01-first/DEBRIEF.md', 'labs/01-first/solution/api/app.ts', 'labs/01-first/solution/api/profile.ts'].sort();
    const lab02Starter = ['labs/02-second/README.md', 'labs/02-second/lab.json', 'labs/02-second/lock.json', 'labs/02-second/starter/api/limit.ts', 'labs/02-second/starter/api/server.ts', 'labs/02-second/test/second.test.ts'];
    expect(labFiles('lab-01-starter')).toEqual(lab01Starter);
    expect(labFiles('lab-01-solution')).toEqual(lab01);
    expect(labFiles('lab-02-starter')).toEqual([...lab01, ...lab02Starter]);
    expect(labFiles('lab-02-solution')).toEqual([...lab01, ...[...lab02Starter, 'labs/02-second/DEBRIEF.md', 'labs/02-second/solution/api/limit.ts'].sort()]);
    // Outside labs/ and workspace/, a branch differs from HEAD by its .gitignore and its record only.
    for (const branch of ['lab-01-starter', 'lab-02-solution']) {
      const changed = fx.git('diff', '--no-renames', '--name-status', 'HEAD', branch).split('\n').filter((line) => !/\t(labs|workspace)\//.test(line));
      expect(changed).toEqual(['M\t.gitignore', 'A\t.lab-branch.json']);
    }
  });

  it('tracks workspace/ on a branch: its .gitignore keeps only installed and built output ignored', () => {
    buildBranches(fx.repo);
    expect(fx.git('show', 'lab-01-starter:.gitignore')).toBe('node_modules/\n# workspace/ is yours on a lab branch: git status shows the files you add there\n.lab/');
    expect(JSON.parse(fx.git('show', 'lab-02-starter:.lab-branch.json'))).toEqual({
      formatVersion: 1,
      branch: 'lab-02-starter',
      lab: '02-second',
      variant: 'starter',
      from: fx.git('rev-parse', 'HEAD'),
      labs: ['01-first', '02-second'],
    });
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
    // A learner's own branch off a lab branch is told apart by the record it carries.
    fx.git('switch', '-q', '-c', 'my-work');
    expect(() => buildBranches(fx.repo)).toThrow('HEAD has .lab-branch.json: it comes from a generated lab branch, which carries no answers to build from');
  });
});

describe('what a branch leaves out', () => {
  const lab = (number: number) => ({ number, nn: `0${number}`, slug: 'x', name: `0${number}-x`, dir: `/r/labs/0${number}-x` });

  it('drops cheats everywhere, later labs whole, and the starter\'s own solution and debrief', () => {
    const out = (path: string, number: number, variant: 'starter' | 'solution') => leftOut(path, 'labs', lab(number), variant);
    expect(out('labs/01-x/cheats/01.a/api/app.ts', 2, 'solution')).toBe(true);
    expect(out('labs/03-y/README.md', 2, 'solution')).toBe(true);
    expect(out('labs/02-x/solution/api/app.ts', 2, 'starter')).toBe(true);
    expect(out('labs/02-x/DEBRIEF.md', 2, 'starter')).toBe(true);
    expect(out('labs/02-x/DEBRIEF.md', 2, 'solution')).toBe(false);
    expect(out('labs/01-x/solution/api/app.ts', 2, 'starter')).toBe(false);
    expect(out('labs/02-x/test/a.test.ts', 2, 'starter')).toBe(false);
    expect(out('labs/00-baseline/api/app.ts', 1, 'starter')).toBe(false);
    expect(out('labs/lab.schema.json', 1, 'starter')).toBe(false);
    expect(out('scripts/lab/cheats.ts', 1, 'starter')).toBe(false);
  });

  it('un-ignores workspace/ in .gitignore, whichever way the line is spelled, and nothing else', () => {
    const note = '# workspace/ is yours on a lab branch: git status shows the files you add there';
    expect(branchGitignore('node_modules/\n/workspace/\ndist/\n')).toBe(`node_modules/\n${note}\ndist/\n`);
    expect(branchGitignore('workspace\n')).toBe(`${note}\n`);
    expect(branchGitignore('workspace/*\n')).toBe(`${note}\n`);
    expect(branchGitignore('workspace/node_modules/\n*.log\n')).toBe('workspace/node_modules/\n*.log\n');
  });
});
