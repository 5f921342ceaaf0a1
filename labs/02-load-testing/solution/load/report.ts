// The run's result, built once: as JSON (--json) for machines and CI, and as text for people.
import { formatDuration } from './duration.ts';
import { encodeHistogram, summarize, type LatencySummary, type Recorder } from './recorder.ts';
import type { Scenario } from './scenario.ts';
import { checkThreshold, formatMs, type Threshold, type ThresholdResult } from './thresholds.ts';

export type LoadFacts =
  | { model: 'closed'; stages: string; peakConnections: number }
  | { model: 'open'; rate: number; planned: number; sent: number; maxInFlight: number; maxConnections: number };

export interface Report {
  scenario: string;
  file: string;
  target: string;
  request: string;
  startedAt: string;
  /** Seconds of load. */
  duration: number;
  /** Ended by Ctrl-C before the scenario's end. */
  stoppedEarly: boolean;
  load: LoadFacts;
  requests: { total: number; ok: number; errors: number; errorRate: number };
  statusCodes: Record<string, number>;
  errorKinds: Record<string, number>;
  throughput: { rps: number; bytesPerSecond: number };
  /** Milliseconds; in the open model, measured from each request's intended send time. */
  latency: LatencySummary & { unit: 'ms'; measuredFrom: 'intended send time' | 'send time'; histogram: string };
  /** Open model only: the same responses measured from when they left the client. */
  latencyFromSend?: LatencySummary & { unit: 'ms' };
  thresholds: ThresholdResult[];
  passed: boolean;
}

export interface ReportInput {
  scenario: Scenario;
  request: string;
  startedAt: Date;
  /** Milliseconds of load. */
  elapsed: number;
  load: LoadFacts;
  recorder: Recorder;
  thresholds: readonly Threshold[];
  stoppedEarly: boolean;
}

export function buildReport({ scenario, request, startedAt, elapsed, load, recorder, thresholds, stoppedEarly }: ReportInput): Report {
  const seconds = elapsed / 1000;
  const latency = summarize(recorder.latency);
  const errorRate = recorder.requests ? recorder.errors / recorder.requests : 0;
  const rps = seconds > 0 ? recorder.requests / seconds : 0;
  const results = thresholds.map((threshold) =>
    checkThreshold(threshold, {
      latencyAt: (percentile) => (recorder.latency.totalCount ? recorder.latency.getValueAtPercentile(percentile) / 1000 : 0),
      min: latency.min,
      mean: latency.mean,
      max: latency.max,
      errorRate,
      rps,
      responses: recorder.responses,
    }),
  );
  return {
    scenario: scenario.name,
    file: scenario.file,
    target: scenario.target,
    request,
    startedAt: startedAt.toISOString(),
    duration: round(seconds, 3),
    stoppedEarly,
    load,
    requests: { total: recorder.requests, ok: recorder.requests - recorder.errors, errors: recorder.errors, errorRate: round(errorRate, 6) },
    statusCodes: Object.fromEntries([...recorder.statusCodes].sort(([a], [b]) => a - b).map(([code, n]) => [String(code), n])),
    errorKinds: Object.fromEntries(recorder.errorKinds),
    throughput: { rps: round(rps, 2), bytesPerSecond: Math.round(seconds > 0 ? recorder.bytes / seconds : 0) },
    latency: {
      unit: 'ms',
      measuredFrom: load.model === 'open' ? 'intended send time' : 'send time',
      ...latency,
      histogram: encodeHistogram(recorder.latency),
    },
    ...(load.model === 'open' ? { latencyFromSend: { unit: 'ms' as const, ...summarize(recorder.fromSend) } } : {}),
    thresholds: results,
    passed: results.every((result) => result.ok),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const count = (n: number) => n.toLocaleString('en-US');

function latencyLine(summary: LatencySummary): string {
  const keys = ['min', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'] as const;
  return `${keys.map((key) => `${key} ${formatMs(summary[key])}`).join('  ')}  (mean ${formatMs(summary.mean)})`;
}

export function formatReport(report: Report): string {
  const { load, requests } = report;
  const lines = [
    '',
    `${report.scenario} · ${load.model} model · ${report.target} · ${formatDuration(report.duration * 1000)}${report.stoppedEarly ? ' (stopped early by Ctrl-C)' : ''}`,
    `  request       ${report.request}`,
    load.model === 'closed'
      ? `  connections   ${load.stages} (peak ${load.peakConnections})`
      : `  arrivals      ${load.rate}/s planned: ${count(load.sent)} of ${count(load.planned)} sent, at most ${load.maxInFlight} in flight`,
    `  requests      ${count(requests.total)} (${report.throughput.rps.toFixed(1)}/s), ${count(requests.errors)} errors (${(requests.errorRate * 100).toFixed(2)} %)`,
    `  status        ${Object.entries(report.statusCodes).map(([code, n]) => `${code} × ${count(n)}`).join(', ') || 'no response'}`,
  ];
  const kinds = Object.entries(report.errorKinds);
  if (kinds.length) lines.push(`  failures      ${kinds.map(([kind, n]) => `${kind} × ${count(n)}`).join(', ')}`);
  lines.push(`  latency (ms)  ${latencyLine(report.latency)}`);
  if (report.latencyFromSend) {
    lines.push(
      `                measured from each request's intended send time; from the actual send:`,
      `                ${latencyLine(report.latencyFromSend)}`,
    );
  }
  if (report.thresholds.length) {
    lines.push('thresholds');
    for (const result of report.thresholds) lines.push(`  ${result.message}`);
  }
  return lines.join('\n');
}
