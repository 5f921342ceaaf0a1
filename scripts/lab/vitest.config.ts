// The lab engine's own unit tests, without the root config's global setup (which starts real
// Redis, RabbitMQ and MinIO that these tests never use):
//   npx vitest run --config scripts/lab/vitest.config.ts
// They pass under the root config too (`npx vitest run scripts/lab`).
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['scripts/lab/test/**/*.test.ts'],
    // Each test builds a git repository in a temp folder; git is the slow part.
    testTimeout: 30_000,
  },
});
