// The test's own reading of a stage plan (it does not trust the tree's stages.ts), and the
// comparison of a plan with the concurrency a server observed, slice by slice.

/** A stage as the test writes it: ramp linearly to `target` connections over `ms`. */
export interface PlanStage {
  ms: number;
  target: number;
}

/** Connections the plan asks for `t` ms after its start (0 before and after it). */
export function levelAt(plan: readonly PlanStage[], t: number): number {
  let from = 0;
  let start = 0;
  if (t < 0) return 0;
  for (const stage of plan) {
    if (t < start + stage.ms) return Math.round(from + ((stage.target - from) * (t - start)) / stage.ms);
    from = stage.target;
    start += stage.ms;
  }
  return 0;
}

const planMs = (plan: readonly PlanStage[]) => plan.reduce((sum, stage) => sum + stage.ms, 0);

/**
 * Slices, up to `lagMs` past the plan's end, whose observed peak lies outside what the plan
 * asks for within ±lagMs of the slice: above the most, or more than one below the least.
 */
export function outsideEnvelope(plan: readonly PlanStage[], peaks: readonly number[], sliceMs: number, lagMs: number): number[] {
  const slices = Math.max(peaks.length, Math.ceil((planMs(plan) + lagMs) / sliceMs) + 1);
  const stray: number[] = [];
  for (let i = 0; i < slices; i++) {
    const levels: number[] = [];
    for (let t = i * sliceMs - lagMs; t <= (i + 1) * sliceMs + lagMs; t += 10) levels.push(levelAt(plan, t));
    const observed = peaks[i] ?? 0;
    if (observed > Math.max(...levels) || observed < Math.min(...levels) - 1) stray.push(i);
  }
  return stray;
}

/** For each ramp of at least 0.8 s over at least 4 levels: the levels strictly between seen in its slices. */
export function rampLevels(plan: readonly PlanStage[], peaks: readonly number[], sliceMs: number): { from: number; to: number; between: Set<number> }[] {
  const ramps = [];
  let from = 0;
  let start = 0;
  for (const stage of plan) {
    if (stage.ms >= 800 && Math.abs(stage.target - from) >= 4) {
      const [low, high] = [Math.min(from, stage.target), Math.max(from, stage.target)];
      const inside = peaks.slice(Math.floor(start / sliceMs), Math.ceil((start + stage.ms) / sliceMs));
      ramps.push({ from, to: stage.target, between: new Set(inside.filter((level) => level > low && level < high)) });
    }
    from = stage.target;
    start += stage.ms;
  }
  return ramps;
}
