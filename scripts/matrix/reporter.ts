// Writes every test's outcome with its project (the tree it ran against) to the file named
// by MATRIX_RESULTS; vitest's JSON report has no project, so the matrix needs its own.
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import { TIMING_SUFFIX } from './plan.ts';

export interface MatrixResult {
  project: string;
  file: string;
  /** describe() titles then the test title. */
  path: string[];
  state: 'passed' | 'failed' | 'skipped';
  error?: string;
}

// A run's timing files form a project of their own; they report under the run's name.
const projectOf = (module: TestModule) => module.project.name.replace(TIMING_SUFFIX, '');

/** Marks a failure that came from a hook (beforeAll) rather than from the test's own assertions. */
export const SETUP_FAILED = '(setup failed) ';

export default class MatrixReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const results: MatrixResult[] = [];
    for (const module of modules) {
      const tests = [...module.children.allTests()];
      for (const test of tests) {
        const path: string[] = [];
        let setupError: string | undefined;
        for (let node = test.parent; node.type === 'suite'; node = node.parent) {
          path.unshift(node.name);
          setupError ??= node.errors()[0]?.message;
        }
        setupError ??= module.errors()[0]?.message;
        const result = test.result();
        // A test skipped because its suite's setup threw did not pass: it is a failure, marked as one of setup.
        const state = result.state === 'passed' ? 'passed' : result.state === 'failed' || setupError !== undefined ? 'failed' : 'skipped';
        const error = result.state === 'failed' ? result.errors?.[0]?.message : setupError !== undefined && result.state !== 'passed' ? `${SETUP_FAILED}${setupError}` : undefined;
        results.push({ project: projectOf(module), file: module.moduleId, path: [...path, test.name], state, ...(error ? { error } : {}) });
      }
      // A file that failed to load has no tests: record the file itself as one failure.
      const loadError = module.errors()[0];
      if (tests.length === 0 || (loadError && module.state() === 'failed')) {
        results.push({ project: projectOf(module), file: module.moduleId, path: ['(file)'], state: 'failed', error: loadError?.message ?? 'no tests ran' });
      }
    }
    writeFileSync(process.env.MATRIX_RESULTS ?? '.lab/matrix/results.json', JSON.stringify(results));
  }
}
