// `npm test`: the repository's proof. Type-check, lint, then every vitest suite against real
// servers; ends with the plain line "N passed, N failed" that CI reads.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string) => resolve(root, 'node_modules/.bin', name);
const started = performance.now();
let passed = 0;
let failed = 0;
let skipped = 0;

function step(title: string, cmd: string, args: string[]): boolean {
  console.log(`\n▶ ${title}`);
  const t = performance.now();
  const { status } = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const ok = status === 0;
  console.log(`${ok ? '✓' : '✗'} ${title} (${seconds(t)} s)`);
  return ok;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

for (const [title, cmd, args] of [
  ['type-check (tsc --noEmit, strict)', bin('tsc'), ['--noEmit']],
  ['lint (eslint)', bin('eslint'), ['.']],
] as const) {
  if (step(title, cmd, [...args])) passed++;
  else failed++;
}

const report = resolve(root, '.cache/vitest-report.json');
rmSync(report, { force: true });
step('tests (vitest, real servers)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
try {
  const result = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numFailedTestSuites: number;
  };
  passed += result.numPassedTests;
  // A file that fails to load has no tests of its own to count: count the file.
  failed += result.numFailedTests + (result.numFailedTests === 0 ? result.numFailedTestSuites : 0);
  skipped += result.numPendingTests + result.numTodoTests;
} catch {
  console.log('✗ vitest wrote no report: it crashed before running the tests (see above)');
  failed++;
}

console.log(`\nnpm test took ${seconds(started)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
