// The matrix as vitest projects: one project per (tests × tree) run of .lab/matrix/plan.json,
// each told its tree through `provide`; the servers start once for all of them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import type { MatrixPlan } from './plan.ts';

const root = resolve(import.meta.dirname, '../..');
const plan = JSON.parse(readFileSync(resolve(root, '.lab/matrix/plan.json'), 'utf8')) as MatrixPlan;

export default defineConfig({
  test: {
    root,
    globalSetup: ['shared/stack/global-setup.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    projects: plan.runs.map((run) => ({
      extends: true,
      test: { name: run.project, include: run.include, provide: { tree: run.tree } },
    })),
  },
});
