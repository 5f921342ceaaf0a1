// `npm run verify lab-07`: runs lab 07's tests against workspace/ (or the reference solution),
// prints ✓/✗ per criterion with the failing expectation in one line, records progress, and
// exits 0 only when every required criterion passed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labsUpTo, listLabs, resolveLab } from './lab/catalog.ts';
import { parseCommandLine } from './lab/cli-args.ts';
import { runMain } from './lab/errors.ts';
import { loadLabMeta } from './lab/lab-meta.ts';
import { defaultRepo, shown, treesDir, workspaceDir } from './lab/paths.ts';
import { allLabProgress, progressLine, readProgress, recordVerify, writeProgress } from './lab/progress.ts';
import { runVitest, type FileOutcome } from './lab/run-vitest.ts';
import { labTestFiles } from './lab/test-files.ts';
import { labTree, materialize } from './lab/tree.ts';
import { formatLabResult, mapResults, requiredPassed, statuses } from './lab/verify-report.ts';
import { assertWorkspaceReady, readWorkspaceState } from './lab/workspace.ts';

const HELP = `Usage: npm run verify lab-07 [-- options]

Runs lab 07's tests against workspace/ and prints each criterion's result.
  --solution     verify the reference solution instead of workspace/ (progress is not recorded)
  --cumulative   also run every earlier lab's tests (nothing you built before broke)
  --verbose      show vitest's full output`;

const OPTIONS = {
  solution: { type: 'boolean' },
  cumulative: { type: 'boolean' },
  verbose: { type: 'boolean' },
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
  const solution = flags.solution === true;
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
  const scope = labs.length > 1 ? ` with labs ${labs[0]!.nn}–${labs[labs.length - 2]!.nn} (cumulative)` : '';
  console.log(`Verifying lab ${lab.nn} · ${target.meta.title}${scope} against ${against}`);
  const state = solution ? null : readWorkspaceState(repo);
  if (state && state.lab !== lab.name) console.log(`  ! workspace/ holds lab ${state.lab} ${state.variant}, not lab ${lab.name}`);

  const files = inputs.flatMap((input) => input.files);
  const outcomes: FileOutcome[] = files.length > 0 ? await runVitest(repo, files, { tree, verbose: flags.verbose === true }) : [];
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
  if (failing) {
    const fixWhere = solution ? `labs/${lab.name}/solution/` : 'workspace/';
    console.log(`Next: npm run lab hint ${failing.lab.nn}, fix ${fixWhere}, then npm run verify lab-${lab.nn}${solution ? ' -- --solution' : ''}`);
    return 1;
  }
  const after = listLabs(repo).find((other) => other.number > lab.number);
  if (solution) console.log(`Next: npm run lab diff ${lab.nn} shows what the solution changes`);
  else if (after) console.log(`Next: npm run lab start ${after.nn}`);
  else console.log(`Next: that was the last lab — npm run verify lab-${lab.nn} -- --cumulative proves every lab still holds`);
  return 0;
});
