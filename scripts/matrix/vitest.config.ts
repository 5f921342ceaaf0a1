// The matrix as vitest projects: one project per (tests × tree) run of .lab/matrix/plan.json,
// each told its tree through `provide`; the servers start once for all of them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { TIMING, TIMING_SUFFIX, type MatrixPlan } from './plan.ts';

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
    // Each run is two projects: its ordinary test files, two at a time, and its
    // *.timing.test.ts files (ratios of measured times), alone on the machine afterwards.
    projects: plan.runs.flatMap((run, i) => [
      { extends: true, test: { name: run.project, include: run.include, exclude: [TIMING], provide: { tree: run.tree } } },
      {
        extends: true,
        test: {
          name: `${run.project}${TIMING_SUFFIX}`,
          include: run.include.map((glob) => glob.replace(/\.test\.ts$/, '.timing.test.ts')),
          provide: { tree: run.tree },
          fileParallelism: false,
          sequence: { groupOrder: i + 1 },
        },
      },
    ]),
  },
});
