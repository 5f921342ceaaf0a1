// The proof matrix: which tests run against which materialized tree, and what each run must
// show. Materializes every starter(N), solution(N) and solution(N)+cheat under .lab/matrix/.
// Runs belong to a part of `npm test` (trees, cheats, containers), which a maintainer can run
// alone. The containers part reruns the baseline's and every solution's tests with
// STACK_PROVIDER=containers; it needs a container engine, so npm test runs it only when asked.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { cheatDescription, readCheats } from '../lab/cheats.ts';
import { listLabs, type Lab } from '../lab/catalog.ts';
import { loadLabMeta } from '../lab/lab-meta.ts';
import { cheatCriterion, cheatIdOf } from '../lab/lock-file.ts';
import { baselineDir, localDir, type LabRepo } from '../lab/paths.ts';
import { idsInSource, labTestFiles } from '../lab/test-files.ts';
import { applyOverlay, labTree, materialize } from '../lab/tree.ts';

/** Test files that compare measured times run alone, after the others (see vitest.config.ts). */
export const TIMING = '**/*.timing.test.ts';
export const TIMING_SUFFIX = ' (timing)';

export const PARTS = ['trees', 'cheats', 'containers'] as const;
export type Part = (typeof PARTS)[number];

/**
 * Test files the containers part leaves out, each with why; `npm test` prints them. A
 * Toxiproxy in a container cannot reach a process of this machine (labs 06 and 07 proxy
 * the optimizer they start), while the stack's own servers it proxies in both providers.
 */
export const NATIVE_ONLY = [
  'labs/06-circuit-breaker/test/fail-fast.timing',
  'labs/06-circuit-breaker/test/half-open',
  'labs/06-circuit-breaker/test/latency-toxic',
  'labs/07-metrics-health/test/queued',
].map((name) => ({
  file: `${name}.test.ts`,
  reason: 'its Toxiproxy proxies the optimizer, a process on this machine, which a containerised Toxiproxy cannot reach yet',
}));

export interface MatrixRun {
  /** vitest project name, also the row label. */
  project: string;
  part: Part;
  /** Absolute path of the tree the tests run against. */
  tree: string;
  /** Test file globs, relative to the repo root. */
  include: string[];
  /** Files of those globs that this run leaves out (NATIVE_ONLY). */
  exclude?: string[];
  /**
   * `pass`: every test passes. `starter-fails`: every required criterion of `lab` has a
   * failing test (a criterion that cannot fail is a defect). `cheat-fails`: `only`, the
   * criterion the cheat fakes, has a failing test (a cheat that passes is a defect).
   */
  expect: 'pass' | 'starter-fails' | 'cheat-fails';
  /** The lab whose criteria `starter-fails` checks. */
  lab?: { nn: string; required: string[] };
  /** A cheat's run: the one criterion whose tests run (the others are skipped). */
  only?: string;
  /** A cheat's run: what it fakes, from its `Cheat:` line. */
  fakes?: string;
  /** Runs after every other run of its part, one file at a time: it starts stacks of its own. */
  alone?: boolean;
}

export interface MatrixPlan {
  runs: MatrixRun[];
  /** Every materialized tree, for the type-check. */
  trees: string[];
}

const testsOf = (repo: LabRepo, lab: Lab | null) =>
  `${relative(repo.root, lab ? lab.dir : baselineDir(repo))}/test/**/*.test.ts`;

/** The lab's test files that name the criterion: a cheat's run starts only those services. */
const filesNaming = (repo: LabRepo, lab: Lab, id: string) =>
  labTestFiles(lab).filter((file) => idsInSource(readFileSync(file, 'utf8')).has(id)).map((file) => relative(repo.root, file));

export function buildPlan(repo: LabRepo): MatrixPlan {
  const out = join(localDir(repo), 'matrix');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const baseline = baselineDir(repo);
  const labs = listLabs(repo);
  const runs: MatrixRun[] = [
    { project: 'tools', part: 'trees', tree: baseline, include: ['scripts/**/*.test.ts', 'shared/**/test/**/*.test.ts'], expect: 'pass' },
    { project: '00 baseline', part: 'trees', tree: baseline, include: [testsOf(repo, null)], expect: 'pass' },
    // The provider itself against the engine: its servers answer, and none outlives its process.
    { project: 'containers: stack', part: 'containers', tree: baseline, include: ['shared/stack/test/containers*.test.ts', 'shared/stack/test/prometheus.test.ts'], expect: 'pass', alone: true },
    { project: 'containers: 00 baseline', part: 'containers', tree: baseline, include: [testsOf(repo, null)], expect: 'pass' },
  ];
  const trees: string[] = [];
  labs.forEach((lab, i) => {
    const previous = i === 0 ? null : labs[i - 1]!;
    const dirs = { starter: join(out, `${lab.nn}-starter`), solution: join(out, `${lab.nn}-solution`) };
    const solution = labTree(repo, lab, 'solution');
    materialize(labTree(repo, lab, 'starter'), dirs.starter);
    materialize(solution, dirs.solution);
    trees.push(dirs.starter, dirs.solution);
    const required = loadLabMeta(repo, lab).criteria.filter((c) => c.level === 'required').map((c) => c.id);
    runs.push(
      { project: `${lab.nn} solution`, part: 'trees', tree: dirs.solution, include: [testsOf(repo, lab)], expect: 'pass' },
      { project: `${lab.nn} starter`, part: 'trees', tree: dirs.starter, include: [testsOf(repo, lab)], expect: 'starter-fails', lab: { nn: lab.nn, required } },
      {
        project: `${lab.nn} starter keeps ${previous ? previous.nn : '00'}`,
        part: 'trees',
        tree: dirs.starter,
        include: [testsOf(repo, previous)],
        expect: 'pass',
      },
      { project: `containers: ${lab.nn} solution`, part: 'containers', tree: dirs.solution, include: [testsOf(repo, lab)], exclude: NATIVE_ONLY.map(({ file }) => file), expect: 'pass' },
    );
    for (const cheat of readCheats(repo, lab)) {
      const name = cheatIdOf(cheat.variant)!;
      const id = cheatCriterion(name);
      const dir = join(out, `${lab.nn}-cheat-${name}`);
      materialize(applyOverlay(solution, cheat), dir);
      trees.push(dir);
      const include = filesNaming(repo, lab, id);
      runs.push({ project: `${lab.nn} cheat ${name}`, part: 'cheats', tree: dir, include, expect: 'cheat-fails', only: id, fakes: cheatDescription(cheat) ?? '' });
    }
  });
  const last = labs.at(-1);
  if (last) {
    // Every feature coexists: the last solution passes every earlier lab's tests too
    // (its own ran above).
    runs.push({
      project: `${last.nn} solution keeps all`,
      part: 'trees',
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
