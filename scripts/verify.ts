// `npm run verify lab-07`: runs lab 07's tests against workspace/ (or the reference solution),
// prints ✓/✗ per criterion with the failing expectation in one line, records progress, and
// exits 0 only when every required criterion passed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBranchCarries } from './lab/branches.ts';
import { cheatDescription, readCheatsNamed } from './lab/cheats.ts';
import { cheatCriterion, cheatIdOf } from './lab/lock-file.ts';
import { labsUpTo, resolveLab, type Lab } from './lab/catalog.ts';
import { parseCommandLine } from './lab/cli-args.ts';
import { runMain } from './lab/errors.ts';
import { loadLabMeta } from './lab/lab-meta.ts';
import { nextAfterGreen } from './lab/move-on.ts';
import { baselineDir, defaultRepo, shown, treesDir, workspaceDir, type LabRepo } from './lab/paths.ts';
import { allLabProgress, progressLine, readProgress, recordVerify, writeProgress } from './lab/progress.ts';
import { runVitest, type FileOutcome } from './lab/run-vitest.ts';
import { idsInSource, labTestFiles, testFilesIn } from './lab/test-files.ts';
import { cheatTree, labTree, materialize } from './lab/tree.ts';
import { criterionIdOf, firstLine, formatLabResult, mapResults, requiredPassed, statuses } from './lab/verify-report.ts';
import { watchCriteria, watchLab } from './lab/watch.ts';
import { assertWorkspaceReady, readWorkspaceState } from './lab/workspace.ts';

const HELP = `Usage: npm run verify lab-07 [-- options]

Runs lab 07's tests against workspace/ and prints each criterion's result.
  --solution     verify the reference solution instead of workspace/ (progress is not recorded)
  --cumulative   also run the baseline's and every earlier lab's tests (nothing you built before broke)
  --cheat <id>   (authors) run criterion <id> against the solution with its cheat applied:
                 exits 0 when the criterion fails there, as it must
  --verbose      show vitest's full output
  --watch        run again on every save in workspace/, keeping the servers up; Ctrl-C stops
  -t <id>        (--criterion) with --watch: only these criteria (repeat it, or a comma list)`;

const OPTIONS = {
  solution: { type: 'boolean' },
  cumulative: { type: 'boolean' },
  verbose: { type: 'boolean' },
  cheat: { type: 'string' },
  watch: { type: 'boolean' },
  criterion: { type: 'string', short: 't', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

await runMain(async () => {
  const { positionals, flags } = parseCommandLine(process.argv.slice(2), OPTIONS, 'npm run verify -- --help');
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const repo = defaultRepo();
  const lab = resolveLab(repo, positionals[0]);
  const criteria = watchCriteria(flags);
  if (flags.watch) return watchLab(repo, lab, { criteria, verbose: flags.verbose === true });
  if (typeof flags.cheat === 'string') return verifyCheat(repo, lab, flags.cheat, flags.verbose === true);
  const solution = flags.solution === true;
  // On a workshop branch, a lab whose answers the branch leaves out gets a one-line refusal.
  if (solution) assertBranchCarries(repo, positionals[0], 'solution');
  const labs = flags.cumulative ? labsUpTo(repo, lab) : [lab];
  const inputs = labs.map((each) => ({ lab: each, meta: loadLabMeta(repo, each), files: labTestFiles(each) }));
  const target = inputs[inputs.length - 1]!;

  let tree: string;
  if (solution) {
    tree = join(treesDir(repo), `${lab.name}-solution`);
    materialize(labTree(repo, lab, 'solution'), tree);
  } else {
    assertWorkspaceReady(repo, lab);
    tree = workspaceDir(repo);
  }
  const against = solution ? `the reference solution (${shown(repo, tree)}/)` : 'workspace/';
  const scope = flags.cumulative ? ` with the baseline${labs.length > 1 ? ` and labs ${labs[0]!.nn}–${labs[labs.length - 2]!.nn}` : ''} (cumulative)` : '';
  console.log(`Verifying lab ${lab.nn} · ${target.meta.title}${scope} against ${against}`);
  const state = solution ? null : readWorkspaceState(repo);
  if (state && state.lab !== lab.name) console.log(`  ! workspace/ holds lab ${state.lab} ${state.variant}, not lab ${lab.name}`);

  const baseline = flags.cumulative ? testFilesIn(join(baselineDir(repo), 'test')) : [];
  const files = [...baseline, ...inputs.flatMap((input) => input.files)];
  const outcomes: FileOutcome[] = files.length > 0 ? await runVitest(repo, files, { tree, verbose: flags.verbose === true }) : [];
  const baselineBroken = flags.cumulative ? reportBaseline(outcomes.filter((file) => baseline.includes(file.file))) : false;
  const results = inputs.map((input) =>
    mapResults({ lab: input.lab, meta: input.meta, sources: new Map(input.files.map((file) => [file, readFileSync(file, 'utf8')])) }, outcomes),
  );
  for (const result of results) for (const line of formatLabResult(result)) console.log(line);

  if (solution) console.log('(reference solution: your progress is not recorded)');
  else {
    let progress = readProgress(repo);
    for (const result of results) progress = recordVerify(progress, result.lab, statuses(result), new Date());
    writeProgress(repo, progress);
  }
  console.log(progressLine(allLabProgress(repo)));

  const failing = results.find((result) => !requiredPassed(result));
  if (baselineBroken && !failing) {
    console.log(`Next: the service no longer does what the baseline does: fix workspace/, then npm run verify lab-${lab.nn} -- --cumulative`);
    return 1;
  }
  if (failing) {
    const fixWhere = solution ? `labs/${lab.name}/solution/` : 'workspace/';
    console.log(`Next: npm run lab hint ${failing.lab.nn}, fix ${fixWhere}, then npm run verify lab-${lab.nn}${solution ? ' -- --solution' : ''}`);
    return 1;
  }
  if (solution) console.log(`Next: npm run lab diff ${lab.nn} shows what the solution changes`);
  else console.log(`Next: ${nextAfterGreen(repo, lab)}`);
  return 0;
});

/** An author's check of cheats (one by name, or every cheat of a criterion): its criterion must fail on solution(N) + the cheat. */
async function verifyCheat(repo: LabRepo, lab: Lab, name: string, verbose: boolean): Promise<number> {
  let code = 0;
  for (const cheat of readCheatsNamed(repo, lab, name)) {
    const cheatName = cheatIdOf(cheat.variant)!;
    const id = cheatCriterion(cheatName);
    const tree = join(treesDir(repo), `${lab.name}-cheat-${cheatName}`);
    materialize(cheatTree(repo, lab, cheatName), tree);
    const files = labTestFiles(lab).filter((file) => idsInSource(readFileSync(file, 'utf8')).has(id));
    console.log(`Cheat ${cheatName} (${cheatDescription(cheat) ?? 'says nothing of what it fakes'}) on solution ${lab.nn}, in ${shown(repo, tree)}/`);
    if (files.length === 0) {
      console.log(`  ✗ no test file of labs/${lab.name}/test names ${id}`);
      code = 1;
      continue;
    }
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const outcomes = await runVitest(repo, files, { tree, verbose, testNamePattern: `(^| )${escaped}( |$)` });
    // Caught means a test of the criterion ran and failed: a cheat that stops the service from
    // starting fails for the wrong reason and proves nothing about the test.
    const tests = outcomes.flatMap((file) => file.tests).filter((test) => criterionIdOf(test) === id);
    const failedTest = tests.find((test) => test.status === 'failed');
    if (failedTest) {
      console.log(`  ✓ caught: ${id} fails with the cheat — ${firstLine(failedTest.message)}`);
      continue;
    }
    code = 1;
    if (tests.length > 0 && tests.every((test) => test.status === 'passed')) console.log(`  ✗ ${id} passes with the cheat: its test does not refuse it`);
    else {
      const why = outcomes.find((file) => file.message)?.message;
      console.log(`  ✗ no test of ${id} ran to a failure${why ? `: ${firstLine(why)}` : ''} (a cheat must fail the criterion's assertions, not stop its tests from running)`);
    }
  }
  return code;
}

/** The baseline's tests are the service's contract: one line, or one line per broken test. Returns true when any broke. */
function reportBaseline(files: FileOutcome[]): boolean {
  const tests = files.flatMap((file) => file.tests);
  const broken = tests.filter((test) => test.status === 'failed');
  const unloaded = files.filter((file) => file.status === 'failed' && file.tests.length === 0);
  console.log(`lab 00 · the baseline service`);
  if (broken.length === 0 && unloaded.length === 0) {
    console.log(`  ✓ ${tests.length} baseline tests pass: uploads, bad input, the retry queue, Server-Timing, the web page`);
    return false;
  }
  for (const test of broken) console.log(`  ✗ ${[...test.ancestors, test.title].join(' › ')}  ${firstLine(test.message)}`);
  for (const file of unloaded) console.log(`  ✗ ${file.file.split('/').slice(-1)[0]} did not run: ${firstLine(file.message)}`);
  return true;
}
