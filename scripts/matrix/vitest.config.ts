// The matrix as vitest projects: one project per (tests × tree) run of .lab/matrix/plan.json
// in the part MATRIX_PART names, each told its tree through `provide`; the servers start once
// for all of them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { TIMING, TIMING_SUFFIX, type MatrixPlan } from './plan.ts';

const root = resolve(import.meta.dirname, '../..');
const plan = JSON.parse(readFileSync(resolve(root, '.lab/matrix/plan.json'), 'utf8')) as MatrixPlan;
const part = process.env.MATRIX_PART ?? 'trees';
const runs = plan.runs.filter((run) => run.part === part);
// A glob's timing twin; a file that is already a timing file stays itself.
const timingOf = (glob: string) => (glob.endsWith('.timing.test.ts') ? glob : glob.replace(/\.test\.ts$/, '.timing.test.ts'));

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
    // A cheat's run skips every test but those of the criterion it fakes. A run marked alone
    // (the containers provider's own tests, which start stacks of their own) goes last.
    projects: runs.flatMap((run, i) => {
      const only = run.only ? { setupFiles: ['scripts/matrix/only-criterion.ts'], provide: { tree: run.tree, only: run.only } } : { provide: { tree: run.tree } };
      return [
        {
          extends: true,
          test: { name: run.project, include: run.include, exclude: [TIMING, ...(run.exclude ?? [])], ...only, ...(run.alone ? { fileParallelism: false, sequence: { groupOrder: runs.length + 1 } } : {}) },
        },
        {
          extends: true,
          test: {
            name: `${run.project}${TIMING_SUFFIX}`,
            include: run.include.map(timingOf),
            exclude: run.exclude ?? [],
            ...only,
            fileParallelism: false,
            sequence: { groupOrder: i + 1 },
          },
        },
      ];
    }),
  },
});
