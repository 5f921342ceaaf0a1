// Turns the parsed Server-Timing metrics of one upload into the rows the page draws: the
// service's known steps in pipeline order (a step the header leaves out was skipped, e.g.
// the optimizer on a cache hit), then any other metric the API adds later.
import type { TimingMetric } from './server-timing.ts';

export interface StepInfo {
  name: string;
  /** What the step does, in a few words. */
  label: string;
}

export const KNOWN_STEPS: readonly StepInfo[] = [
  { name: 'redis', label: 'cache lookup' },
  { name: 'minio', label: 'store original' },
  { name: 'optimizer', label: 'resize + watermark' },
  { name: 'gzip', label: 'compress response' },
  { name: 'total', label: 'whole request' },
];

export interface PipelineRow extends StepInfo {
  /** Null when the step was skipped. */
  durationMs: number | null;
  /** Bar width in percent of the longest bar (the total when the header has one). */
  widthPercent: number;
  /** The metric's `desc`, if any. */
  description: string | null;
  /**
   * What the API says about this request's step ("miss", "unavailable: queued"…), which tells
   * more than the fixed label; null when `desc` is absent or only says "skipped".
   */
  note: string | null;
}

const SKIPPED = /\bskip/i;
const SKIPPED_PREFIX = /^skipped\s*[:\-–]?\s*/i;

function isSkipped(metric: TimingMetric | undefined): boolean {
  if (!metric) return true;
  if (metric.durationMs === null) return true;
  return metric.description !== null && SKIPPED.test(metric.description);
}

export function buildPipeline(metrics: TimingMetric[]): PipelineRow[] {
  // The first metric of a name wins, as a repeated name is most likely an API bug.
  const byName = new Map<string, TimingMetric>();
  for (const metric of metrics) if (!byName.has(metric.name)) byName.set(metric.name, metric);

  const known = new Set(KNOWN_STEPS.map((step) => step.name));
  const extra = [...byName.keys()].filter((name) => !known.has(name)).map((name) => ({ name, label: '' }));
  // Extra metrics go before `total`, which stays the last row.
  const steps = [...KNOWN_STEPS.slice(0, -1), ...extra, KNOWN_STEPS.at(-1)!];

  const durations = steps.map((step) => {
    const metric = byName.get(step.name);
    return isSkipped(metric) ? null : metric!.durationMs;
  });
  const total = durations.at(-1);
  const scale = Math.max(total ?? 0, ...durations.map((ms) => ms ?? 0));

  return steps.map((step, i) => {
    const durationMs = durations[i] ?? null;
    const description = byName.get(step.name)?.description ?? null;
    return {
      ...step,
      durationMs,
      widthPercent: durationMs === null || scale === 0 ? 0 : Math.min(100, (durationMs / scale) * 100),
      description,
      note: description?.replace(SKIPPED_PREFIX, '').trim() || null,
    };
  });
}

/** 0.35 ms, 4.2 ms, 182 ms, 1.24 s: enough digits to compare steps, no more. */
export function formatMs(ms: number): string {
  // Thresholds sit where rounding would carry into the next format (99.96 → "100 ms", not "100.0 ms").
  if (ms >= 999.5) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 99.95) return `${Math.round(ms)} ms`;
  if (ms >= 0.995) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
