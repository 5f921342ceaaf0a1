// Turns the matrix's raw results into checks: a test that must pass passed; a required
// criterion failed on its starter; the criterion a cheat fakes failed on that cheat. Prints
// the lab × starter/solution/cheat × criterion table.
import { relative } from 'node:path';
import { leadingId } from '../lab/test-files.ts';
import type { MatrixPlan, MatrixRun, Part } from './plan.ts';
import { SETUP_FAILED, type MatrixResult } from './reporter.ts';

export interface Verdict {
  passed: number;
  failed: number;
  skipped: number;
  lines: string[];
}

const criterionOf = (result: MatrixResult) => result.path.map(leadingId).find((id) => id !== null) ?? null;
const oneLine = (text = '') => text.split('\n').find((l) => l.trim())?.trim().slice(0, 160) ?? '';
const NOT_RUN = '·';

/** Judges the runs of the parts that ran; the table shows `·` where a part did not run. */
export function judge(plan: MatrixPlan, results: MatrixResult[], root: string, parts: readonly Part[]): Verdict {
  const verdict: Verdict = { passed: 0, failed: 0, skipped: 0, lines: [] };
  const runs = plan.runs.filter((run) => parts.includes(run.part));
  const byProject = (run: MatrixRun) => results.filter((r) => r.project === run.project);
  const failures: string[] = [];
  const pass = (ok: boolean, failure: string) => {
    if (ok) verdict.passed++;
    else {
      verdict.failed++;
      failures.push(failure);
    }
  };

  if (runs.some((run) => run.expect === 'pass')) verdict.lines.push('', 'run                               tests   result');
  for (const run of runs.filter((r) => r.expect === 'pass')) {
    const mine = byProject(run);
    const ok = mine.filter((r) => r.state === 'passed').length;
    const bad = mine.filter((r) => r.state === 'failed');
    const skipped = mine.filter((r) => r.state === 'skipped').length;
    verdict.passed += ok;
    verdict.failed += bad.length;
    verdict.skipped += skipped;
    if (mine.length === 0) {
      verdict.failed++;
      failures.push(`${run.project}: no test ran (${run.include.join(', ')})`);
    }
    for (const r of bad) failures.push(`${run.project}: ${relative(root, r.file)} › ${r.path.join(' › ')}: ${oneLine(r.error)}`);
    const mark = bad.length === 0 && mine.length > 0 ? '✓' : '✗';
    verdict.lines.push(`${run.project.padEnd(33)} ${`${ok}/${mine.length}`.padEnd(7)} ${mark}${skipped ? ` (${skipped} skipped)` : ''}`);
  }

  // The criteria tables are the trees' and cheats' verdicts; a containers-only run has none.
  const criteriaRan = parts.includes('trees') || parts.includes('cheats');
  for (const starterRun of plan.runs.filter((r) => criteriaRan && r.expect === 'starter-fails')) {
    const { nn, required } = starterRun.lab!;
    const cheats = plan.runs.filter((r) => r.expect === 'cheat-fails' && r.project.startsWith(`${nn} cheat `));
    const ids = [...required, ...cheats.map((r) => r.only!).filter((id) => !required.includes(id))];
    const starter = byProject(starterRun);
    const solution = results.filter((r) => r.project === `${nn} solution`);
    verdict.lines.push('', `lab ${nn}: criterion                   starter   solution  cheats`);
    for (const id of ids) {
      let starterCell = NOT_RUN;
      let solutionCell = NOT_RUN;
      if (parts.includes('trees')) {
        const onStarter = starter.filter((r) => criterionOf(r) === id);
        const onSolution = solution.filter((r) => criterionOf(r) === id);
        solutionCell = onSolution.length > 0 && onSolution.every((r) => r.state === 'passed') ? '✓' : '✗';
        if (required.includes(id)) {
          // The starter side is a check of its own: a required criterion must be able to fail.
          const starterRed = onStarter.some((r) => r.state === 'failed');
          starterCell = starterRed ? '✗ (ok)' : '✓ (!!)';
          pass(
            starterRed,
            onStarter.length === 0 ? `${nn} starter: no test for ${id} ran` : `${nn} starter: ${id} passes on the starter — a criterion that cannot fail is a defect`,
          );
        } else starterCell = '–';
      }
      let cheatCell = NOT_RUN;
      if (parts.includes('cheats')) {
        const mine = cheats.filter((r) => r.only === id);
        // Caught means an assertion of the criterion failed: a cheat that breaks the setup proves nothing of the test.
        const caught = mine.filter((run) => byProject(run).some((r) => criterionOf(r) === id && r.state === 'failed' && !r.error?.startsWith(SETUP_FAILED)));
        const count = mine.length > 1 ? ` ${caught.length}/${mine.length}` : '';
        cheatCell = mine.length === 0 ? '–' : caught.length === mine.length ? `✗ (ok)${count}` : `✓ (!!)${count}`;
        if (mine.length === 0 && required.includes(id)) pass(false, `${nn}: required criterion ${id} has no cheat`);
        for (const run of mine) {
          const ran = byProject(run).filter((r) => criterionOf(r) === id);
          const ok = caught.includes(run);
          const why =
            ran.length === 0
              ? `no test of ${id} ran on it (${run.include.join(', ') || 'no test file names it'})`
              : ran.every((r) => r.state === 'passed')
                ? `${id} passes with it — the test does not refuse "${run.fakes}"`
                : `only the setup of ${id}'s tests failed on it, no assertion: ${oneLine(ran.find((r) => r.error)?.error)}`;
          pass(ok, `${run.project}: ${why}`);
        }
      }
      verdict.lines.push(`        ${id.padEnd(28)} ${starterCell.padEnd(9)} ${solutionCell.padEnd(9)} ${cheatCell}`);
    }
  }

  if (failures.length) verdict.lines.push('', 'Failures:', ...failures.map((f) => `  ✗ ${f}`));
  return verdict;
}
