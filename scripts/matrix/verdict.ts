// Turns the matrix's raw results into checks: a test that must pass passed; a required
// criterion failed on its starter. Prints the lab × starter/solution × criterion table.
import { relative } from 'node:path';
import { leadingId } from '../lab/test-files.ts';
import type { MatrixPlan, MatrixRun } from './plan.ts';
import type { MatrixResult } from './reporter.ts';

export interface Verdict {
  passed: number;
  failed: number;
  skipped: number;
  lines: string[];
}

const criterionOf = (result: MatrixResult) => result.path.map(leadingId).find((id) => id !== null) ?? null;
const oneLine = (text = '') => text.split('\n').find((l) => l.trim())?.trim().slice(0, 160) ?? '';

export function judge(plan: MatrixPlan, results: MatrixResult[], root: string): Verdict {
  const verdict: Verdict = { passed: 0, failed: 0, skipped: 0, lines: [] };
  const byProject = (run: MatrixRun) => results.filter((r) => r.project === run.project);
  const failures: string[] = [];

  verdict.lines.push('', 'run                               tests   result');
  for (const run of plan.runs.filter((r) => r.expect === 'pass')) {
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

  for (const run of plan.runs.filter((r) => r.expect === 'starter-fails')) {
    const nn = run.lab!.nn;
    const solution = results.filter((r) => r.project === `${nn} solution`);
    const starter = byProject(run);
    verdict.lines.push('', `lab ${nn}: criterion                   starter   solution`);
    for (const id of run.lab!.required) {
      const onStarter = starter.filter((r) => criterionOf(r) === id);
      const onSolution = solution.filter((r) => criterionOf(r) === id);
      const starterRed = onStarter.some((r) => r.state === 'failed');
      const solutionGreen = onSolution.length > 0 && onSolution.every((r) => r.state === 'passed');
      // The starter side is a check of its own: a required criterion must be able to fail.
      if (starterRed) verdict.passed++;
      else {
        verdict.failed++;
        failures.push(
          onStarter.length === 0
            ? `${nn} starter: no test for ${id} ran`
            : `${nn} starter: ${id} passes on the starter — a criterion that cannot fail is a defect`,
        );
      }
      verdict.lines.push(`        ${id.padEnd(28)} ${starterRed ? '✗ (ok)' : '✓ (!!)'}    ${solutionGreen ? '✓' : '✗'}`);
    }
  }

  if (failures.length) verdict.lines.push('', 'Failures:', ...failures.map((f) => `  ✗ ${f}`));
  return verdict;
}
