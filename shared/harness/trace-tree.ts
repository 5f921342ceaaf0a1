// A trace as a text tree, the way the roadmap draws one upload (§2.3): one line per span,
// indented under its parent, `[service] name`, its start and end relative to the trace's first
// span, and the step's outcome where the service recorded one (step.outcome: hit, miss,
// stored…). Spans whose parent never arrived are printed at the top level with
// "(parent … missing)": a broken chain shows instead of being hidden.
// Used by `npm run trace` and by lab 08's failure messages.
import { join } from 'node:path';
import type { ReceivedSpan } from './otlp-receiver.ts';

/** Where npm start's receiver appends the spans it decodes, and npm run trace reads them. */
export function traceFilePath(root: string): string {
  return join(root, '.lab', 'traces', 'spans.jsonl');
}

const msOf = (ns: bigint) => Number(ns / 1000n) / 1000;

export function formatTrace(spans: ReceivedSpan[]): string {
  if (spans.length === 0) return '(no spans)';
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  const roots: ReceivedSpan[] = [];
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? [];
      list.push(span);
      children.set(span.parentSpanId, list);
    } else roots.push(span);
  }
  const byStart = (a: ReceivedSpan, b: ReceivedSpan) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0);
  const origin = spans.reduce((min, span) => (span.startNs < min ? span.startNs : min), spans[0]!.startNs);
  const lines = [`Trace ID: ${spans[0]!.traceId}  (${spans.length} spans)`];
  const walk = (span: ReceivedSpan, prefix: string, last: boolean, top: boolean) => {
    const label = `[${span.service || '?'}] ${span.name}`;
    const when = `${msOf(span.startNs - origin).toFixed(1)}ms → ${msOf(span.endNs - origin).toFixed(1)}ms`;
    const note = top && span.parentSpanId ? `  (parent ${span.parentSpanId} missing)` : '';
    const error = span.statusCode === 2 ? '  ERROR' : '';
    const outcome = typeof span.attributes['step.outcome'] === 'string' ? `  ${span.attributes['step.outcome']}` : '';
    const branch = `${prefix}${last ? '└── ' : '├── '}`;
    lines.push(`${`${branch}${label}`.padEnd(64)} ${when}${outcome}${error}${note}`);
    const kids = (children.get(span.spanId) ?? []).sort(byStart);
    kids.forEach((kid, i) => walk(kid, `${prefix}${last ? '    ' : '│   '}`, i === kids.length - 1, false));
  };
  const sortedRoots = roots.sort(byStart);
  sortedRoots.forEach((root, i) => walk(root, '', i === sortedRoots.length - 1, true));
  return lines.join('\n');
}

/** The trace ids whose spans carry `value` in some attribute (a request id, a cache key). */
export function tracesWithAttribute(spans: ReceivedSpan[], value: string): string[] {
  const hit = (v: unknown): boolean => (Array.isArray(v) ? v.some(hit) : v === value);
  return [...new Set(spans.filter((span) => Object.values(span.attributes).some(hit)).map((span) => span.traceId))];
}
