import { defineConfig } from 'vitest/config';

const INCLUDE = ['labs/*/test/**/*.test.ts', 'shared/**/test/**/*.test.ts', 'scripts/**/*.test.ts'];

export default defineConfig({
  test: {
    // Ordinary test files run two at a time; *.timing.test.ts files (ratios of measured
    // times) run alone afterwards, so another file's load cannot skew them.
    projects: [
      { extends: true, test: { name: 'tests', include: INCLUDE, exclude: ['**/*.timing.test.ts'] } },
      {
        extends: true,
        test: { name: 'timing', include: INCLUDE.map((g) => g.replace(/\.test\.ts$/, '.timing.test.ts')), fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
    globalSetup: ['shared/harness/global-setup.ts', 'shared/stack/global-setup.ts'],
    // Service tests share one set of servers and each starts three processes: on 2 cores,
    // two files at a time keeps timings meaningful.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A test that waits on a server must fail with its own message, not a runner timeout.
    teardownTimeout: 20_000,
  },
});
