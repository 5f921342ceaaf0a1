// The proof matrix: which tests run against which materialized tree, and what each run must
// show. Materializes every starter(N) and solution(N) under .lab/matrix/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { listLabs, type Lab } from '../lab/catalog.ts';
import { loadLabMeta } from '../lab/lab-meta.ts';
import { baselineDir, localDir, type LabRepo } from '../lab/paths.ts';
import { labTree, materialize } from '../lab/tree.ts';

/** Test files that compare measured times run alone, after the others (see vitest.config.ts). */
export const TIMING = '**/*.timing.test.ts';
export const TIMING_SUFFIX = ' (timing)';

export interface MatrixRun {
  /** vitest project name, also the row label. */
  project: string;
  /** Absolute path of the tree the tests run against. */
  tree: string;
  /** Test file globs, relative to the repo root. */
  include: string[];
  /**
   * `pass`: every test passes. `starter-fails`: every required criterion of `lab` has a
   * failing test (a criterion that cannot fail is a defect).
   */
  expect: 'pass' | 'starter-fails';
  /** The lab whose criteria `starter-fails` checks. */
  lab?: { nn: string; required: string[] };
}

export interface MatrixPlan {
  runs: MatrixRun[];
  /** Every materialized tree, for the type-check. */
  trees: string[];
}

const testsOf = (repo: LabRepo, lab: Lab | null) =>
  `${relative(repo.root, lab ? lab.dir : baselineDir(repo))}/test/**/*.test.ts`;

export function buildPlan(repo: LabRepo): MatrixPlan {
  const out = join(localDir(repo), 'matrix');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const baseline = baselineDir(repo);
  const labs = listLabs(repo);
  const runs: MatrixRun[] = [
    { project: 'tools', tree: baseline, include: ['scripts/**/*.test.ts', 'shared/**/test/**/*.test.ts'], expect: 'pass' },
    { project: '00 baseline', tree: baseline, include: [testsOf(repo, null)], expect: 'pass' },
  ];
  const trees: string[] = [];
  labs.forEach((lab, i) => {
    const previous = i === 0 ? null : labs[i - 1]!;
    const dirs = { starter: join(out, `${lab.nn}-starter`), solution: join(out, `${lab.nn}-solution`) };
    materialize(labTree(repo, lab, 'starter'), dirs.starter);
    materialize(labTree(repo, lab, 'solution'), dirs.solution);
    trees.push(dirs.starter, dirs.solution);
    const required = loadLabMeta(repo, lab).criteria.filter((c) => c.level === 'required').map((c) => c.id);
    runs.push(
      { project: `${lab.nn} solution`, tree: dirs.solution, include: [testsOf(repo, lab)], expect: 'pass' },
      { project: `${lab.nn} starter`, tree: dirs.starter, include: [testsOf(repo, lab)], expect: 'starter-fails', lab: { nn: lab.nn, required } },
      {
        project: `${lab.nn} starter keeps ${previous ? previous.nn : '00'}`,
        tree: dirs.starter,
        include: [testsOf(repo, previous)],
        expect: 'pass',
      },
    );
  });
  const last = labs.at(-1);
  if (last) {
    // Every feature coexists: the last solution passes every earlier lab's tests too
    // (its own ran above).
    runs.push({
      project: `${last.nn} solution keeps all`,
      tree: join(out, `${last.nn}-solution`),
      include: [testsOf(repo, null), ...labs.slice(0, -1).map((lab) => testsOf(repo, lab))],
      expect: 'pass',
    });
  }
  const plan = { runs, trees };
  writeFileSync(join(out, 'plan.json'), JSON.stringify(plan, null, 2));
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({ extends: '../../tsconfig.json', include: ['./*/**/*.ts', './*/**/*.tsx'], exclude: ['**/node_modules', '**/dist'] }, null, 2),
  );
  return plan;
}

export const planFile = (repo: LabRepo) => join(localDir(repo), 'matrix', 'plan.json');
