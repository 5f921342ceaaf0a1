// `npm test`: the repository's proof, what CI runs, in named parts (each can run alone with
// `npm test -- --part <name>`):
//   checks  type-check the repo and every materialized tree, lint, `lab check`;
//   trees   the tools' tests, the baseline's, and for each lab N: solution(N) passes lab N's
//           tests, every required criterion fails on starter(N), starter(N) still passes lab
//           N-1's tests; the last solution passes every lab's tests;
//   cheats  for each cheat, the criterion it fakes fails on solution(N) + that cheat;
//   containers (only when asked: it needs a container engine) the baseline's and every
//           solution's tests again with STACK_PROVIDER=containers, and the provider's own
//           engine tests (its servers answer; no container outlives a killed runner).
// Then a table, each part's duration, and the plain line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultRepo, localDir } from './lab/paths.ts';
import { buildPlan, NATIVE_ONLY, PARTS, type Part } from './matrix/plan.ts';
import type { MatrixResult } from './matrix/reporter.ts';
import { judge } from './matrix/verdict.ts';

const ALL = ['checks', ...PARTS] as const;
type Name = (typeof ALL)[number];
/** What `npm test` runs without --part: everything that needs no container engine. */
const DEFAULT: readonly Name[] = ['checks', 'trees', 'cheats'];
const HELP = `Usage: npm test [-- --part <name> …]

Runs the repository's proof. Parts, in order (default: checks, trees, cheats):
  checks      type-check (the repo and every materialized tree), lint, npm run lab check
  trees       the tools' tests, the baseline's, each lab's solution green, starter red, earlier labs kept
  cheats      each cheat's criterion red on its solution + cheat tree
  containers  the baseline's and every solution's tests with STACK_PROVIDER=containers, and the
              provider's engine tests; needs Docker, or podman's Docker API:
              npm run podman -- start && eval "$(npm run -s podman -- env)" (see README)`;

let args;
try {
  args = parseArgs({ options: { part: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (error) {
  console.error(`npm test: ${(error as Error).message}\n  fix: npm test -- --help`);
  process.exit(2);
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const unknown = (args.part ?? []).filter((name) => !(ALL as readonly string[]).includes(name));
if (unknown.length) {
  console.error(`npm test: unknown part ${unknown.join(', ')}\n  fix: one of ${ALL.join(', ')} (npm test -- --part cheats)`);
  process.exit(2);
}
const parts = args.part ? ALL.filter((name) => args.part!.includes(name)) : DEFAULT;

const repo = defaultRepo();
const root = repo.root;
const bin = (name: string) => resolve(root, 'node_modules/.bin', name);
const started = performance.now();
const seconds = (since: number) => (performance.now() - since) / 1000;
const partTimes: [Name, number][] = [];
let passed = 0;
let failed = 0;

function step(title: string, cmd: string, args: string[], options: { counted?: boolean; env?: Record<string, string> } = {}): boolean {
  console.log(`\n▶ ${title}`);
  const t = performance.now();
  const { status } = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...options.env } });
  const ok = status === 0;
  if (options.counted !== false) {
    if (ok) passed++;
    else failed++;
  }
  console.log(`${ok ? '✓' : '✗'} ${title} (${seconds(t).toFixed(1)} s)`);
  return ok;
}

function part(name: Name, run: () => void): void {
  if (!parts.includes(name)) return;
  console.log(`\n━━ part: ${name}`);
  const t = performance.now();
  run();
  partTimes.push([name, seconds(t)]);
}

console.log('\n▶ materialize every starter, solution and cheat');
const plan = buildPlan(repo);
console.log(`✓ ${plan.trees.length} trees under .lab/matrix/`);

part('checks', () => {
  step('type-check the repository (tsc --noEmit, strict)', bin('tsc'), ['--noEmit']);
  step('lint (eslint)', bin('eslint'), ['.']);
  step('lab check (lab.json, overlays, locks, cheats, CHECKLIST.md)', process.execPath, [join(root, 'scripts/lab.ts'), 'check']);
  if (plan.trees.length) step('type-check every materialized tree', bin('tsc'), ['--noEmit', '-p', join(localDir(repo), 'matrix/tsconfig.json')]);
});

const results: MatrixResult[] = [];
const ran: Part[] = [];
for (const name of PARTS) {
  part(name, () => {
    const file = join(localDir(repo), `matrix/results-${name}.json`);
    rmSync(file, { force: true });
    if (name === 'trees') console.log("(starter runs are expected to fail their own lab's criteria: the table below says whether each failed as it must)");
    if (name === 'cheats') console.log('(each cheat run is expected to fail the criterion it fakes: the table below says whether it did)');
    if (name === 'containers') for (const { file, reason } of NATIVE_ONLY) console.log(`(not run with containers, native only: ${file}: ${reason})`);
    const title = {
      trees: 'tests against real servers (vitest, one project per tests × tree)',
      cheats: 'cheats against real servers (vitest, one project per cheat, its criterion only)',
      containers: 'the solutions\' tests against servers in containers (vitest, STACK_PROVIDER=containers)',
    }[name];
    step(title, bin('vitest'), ['run', '--config', 'scripts/matrix/vitest.config.ts', '--reporter=default', '--reporter=./scripts/matrix/reporter.ts'], {
      counted: false,
      env: { MATRIX_PART: name, MATRIX_RESULTS: file, ...(name === 'containers' ? { STACK_PROVIDER: 'containers' } : {}) },
    });
    ran.push(name);
    if (existsSync(file)) results.push(...(JSON.parse(readFileSync(file, 'utf8')) as MatrixResult[]));
    else {
      console.log(`✗ vitest wrote no results for part ${name}: it stopped before running the tests (see above)`);
      failed++;
    }
  });
}

let skipped = 0;
if (ran.length) {
  const verdict = judge(plan, results, root, ran);
  for (const line of verdict.lines) console.log(line);
  passed += verdict.passed;
  failed += verdict.failed;
  skipped = verdict.skipped;
}

const cheats = plan.runs.filter((run) => run.part === 'cheats').length;
console.log('');
for (const [name, s] of partTimes) {
  const extra = name === 'cheats' && cheats ? ` (${cheats} cheats, ${(s / cheats).toFixed(1)} s each)` : '';
  console.log(`part ${name.padEnd(10)} ${(s / 60).toFixed(1).padStart(5)} min${extra}`);
}
console.log(`npm test took ${(seconds(started) / 60).toFixed(1)} min`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
