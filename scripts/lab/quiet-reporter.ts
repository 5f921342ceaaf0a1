// The vitest reporter `npm run verify` shows while tests run: one mark per test, so the
// learner sees progress; the per-criterion summary comes afterwards from the JSON report.
// (vitest instantiates reporters with `new`, hence a class.)
import type { Reporter, SerializedError, TestCase, TestSpecification } from 'vitest/node';

const MARK = { passed: '·', failed: '✗', skipped: '-', pending: '-' } as const;

export default class QuietReporter implements Reporter {
  private marks = 0;

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    // One instance serves every run of verify --watch.
    this.marks = 0;
    const count = specifications.length;
    // Its own line: the stack's global setup prints its progress after this.
    process.stdout.write(`  running ${count} test file${count === 1 ? '' : 's'}\n`);
  }

  onTestCaseResult(testCase: TestCase): void {
    process.stdout.write(`${this.marks++ === 0 ? '  ' : ''}${MARK[testCase.result().state]}`);
  }

  onTestRunEnd(_modules: unknown, unhandledErrors: ReadonlyArray<SerializedError>): void {
    if (this.marks > 0) process.stdout.write('\n');
    // Errors outside any test (a crashed server, a failed global setup) are in no JSON entry.
    for (const error of unhandledErrors) {
      const line = `${error.name ?? 'Error'}: ${error.message ?? ''}`.split('\n')[0];
      process.stdout.write(`  ✗ outside any test: ${line}\n`);
    }
  }
}
