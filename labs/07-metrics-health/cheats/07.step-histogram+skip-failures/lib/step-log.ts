// Cheat: only the steps that succeed are observed: a step that throws leaves no trace in the histogram.
// One log line per pipeline step (Redis, MinIO, the optimizer call, gzip…), the same shape in
// every process so that one query covers them all:
//   {"step":"redis","op":"get","duration_ms":1.3,"bytes":0,"cache":"miss","outcome":"miss","msg":"redis get: miss"}
// `step` says which, `duration_ms` is a number (filter with > and <), `bytes` what the step
// read or wrote, `cache` hit/miss where the step is a lookup, `outcome` one word. measureStep
// also observes the step's duration in the pipeline_step_duration_seconds histogram.
import type { Logger } from './logger.ts';
import { observeStep } from './metrics.ts';

/** Which step: `step` is the dependency or stage, `op` the operation where there are several. */
export interface StepName {
  step: string;
  /** redis get/set, minio get/put… */
  op?: string;
}

export interface StepReport {
  /** One word: hit, miss, stored, exists, ok, queued, skipped, compressed, failed… */
  outcome: string;
  /** Bytes the step read or wrote. */
  bytes?: number;
  /** For lookups: was the thing already there. */
  cache?: 'hit' | 'miss';
  /** Why, for outcomes that need one (skipped, unavailable, rejected). */
  reason?: string;
  /** warn for outcomes an operator should notice (a dependency unavailable); info otherwise. */
  level?: 'info' | 'warn';
}

/** Milliseconds since `startedAt` (a performance.now() reading), to 0.1 ms. */
export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}

function label({ step, op }: StepName): string {
  return op ? `${step} ${op}` : step;
}

/** Writes the line of a step that took `durationMs` (0 for a step that was skipped). */
export function logStep(log: Logger, name: StepName, durationMs: number, report: StepReport): void {
  const { step, op } = name;
  const { outcome, bytes = 0, cache, reason, level = 'info' } = report;
  const fields = { step, ...(op && { op }), duration_ms: durationMs, bytes, ...(cache && { cache }), outcome, ...(reason && { reason }) };
  log[level](fields, `${label(name)}: ${outcome}${reason ? ` (${reason})` : ''}`);
}

/**
 * Runs `work`, then logs its step line with what `report` says about the result. A step that
 * throws is logged at warn with outcome "failed" and the error, and the error goes on.
 */
export async function measureStep<T>(log: Logger, name: StepName, work: () => Promise<T>, report: (result: T) => StepReport): Promise<{ value: T; durationMs: number }> {
  const startedAt = performance.now();
  let value: T;
  try {
    value = await work();
  } catch (error) {
    const { step, op } = name;
    const durationMs = elapsedMs(startedAt);
    log.warn({ step, ...(op && { op }), duration_ms: durationMs, outcome: 'failed', err: error }, `${label(name)}: failed`);
    throw error;
  }
  const durationMs = elapsedMs(startedAt);
  // Every measured step is observed here, once, in every process (lib/metrics.ts).
  observeStep(name.step, durationMs);
  logStep(log, name, durationMs, report(value));
  return { value, durationMs };
}
