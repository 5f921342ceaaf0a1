// `npm test`: the repository's proof, what CI runs.
//  1. type-check the repo and every materialized starter/solution tree, lint, `lab check`;
//  2. the matrix: for each lab N, solution(N) passes lab N's tests, every required criterion
//     fails on starter(N), starter(N) still passes lab N-1's tests; the last solution passes
//     every lab's tests; plus the tools' own tests and the baseline's;
//  3. a table, the duration, and the plain line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultRepo, localDir } from './lab/paths.ts';
import { buildPlan } from './matrix/plan.ts';
import type { MatrixResult } from './matrix/reporter.ts';
import { judge } from './matrix/verdict.ts';

const repo = defaultRepo();
const root = repo.root;
const bin = (name: string) => resolve(root, 'node_modules/.bin', name);
const started = performance.now();
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
let passed = 0;
let failed = 0;

function step(title: string, cmd: string, args: string[], counted = true): boolean {
  console.log(`\n▶ ${title}`);
  const t = performance.now();
  const { status } = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const ok = status === 0;
  if (counted && ok) passed++;
  else if (counted) failed++;
  console.log(`${ok ? '✓' : '✗'} ${title} (${seconds(t)} s)`);
  return ok;
}

step('type-check the repository (tsc --noEmit, strict)', bin('tsc'), ['--noEmit']);
step('lint (eslint)', bin('eslint'), ['.']);
step('lab check (lab.json, overlays, locks, CHECKLIST.md)', process.execPath, [join(root, 'scripts/lab.ts'), 'check']);

console.log('\n▶ materialize every starter and solution');
const plan = buildPlan(repo);
console.log(`✓ ${plan.trees.length} trees under .lab/matrix/`);
if (plan.trees.length) step('type-check every materialized tree', bin('tsc'), ['--noEmit', '-p', join(localDir(repo), 'matrix/tsconfig.json')]);

const resultsFile = join(localDir(repo), 'matrix/results.json');
rmSync(resultsFile, { force: true });
console.log('\n(starter runs are expected to fail their own lab\'s criteria: the table below says whether each failed as it must)');
step(
  'tests against real servers (vitest, one project per tests × tree)',
  bin('vitest'),
  ['run', '--config', 'scripts/matrix/vitest.config.ts', '--reporter=default', '--reporter=./scripts/matrix/reporter.ts', ...process.argv.slice(2)],
  false,
);
let skipped = 0;
if (existsSync(resultsFile)) {
  const verdict = judge(plan, JSON.parse(readFileSync(resultsFile, 'utf8')) as MatrixResult[], root);
  for (const line of verdict.lines) console.log(line);
  passed += verdict.passed;
  failed += verdict.failed;
  skipped = verdict.skipped;
} else {
  console.log('✗ vitest wrote no results: it stopped before running the tests (see above)');
  failed++;
}

console.log(`\nnpm test took ${seconds(started)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
