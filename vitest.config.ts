import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['labs/*/test/**/*.test.ts', 'shared/**/test/**/*.test.ts', 'scripts/**/*.test.ts'],
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
