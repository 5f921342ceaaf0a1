// The labs of the course that are not written yet: `lab list` shows them, and naming one says
// so instead of "unknown lab". A lab leaves this list by getting its labs/NN-slug folder.
import type { Lab } from './catalog.ts';

export interface PlannedLab {
  number: number;
  nn: string;
  slug: string;
  title: string;
}

const PLANNED: readonly PlannedLab[] = [
  ['05', 'rate-limiting', 'Protect the service from one greedy client'],
  ['06', 'circuit-breaker', 'Fail fast, retry politely, test with real faults'],
  ['07', 'metrics-health', 'See it in Prometheus'],
  ['08', 'tracing', 'Follow one upload through every service'],
  ['09', 'caching', 'L1, stampede, 304'],
  ['10', 'gc-pooling', 'Less garbage, bounded work'],
  ['11', 'http2', 'Modern HTTP and formats'],
  ['12', 'scaling-dlq', 'More instances, no lost jobs'],
  ['13', 'jwt', 'TLS, hostile uploads, tokens'],
].map(([nn, slug, title]) => ({ number: Number(nn), nn: nn!, slug: slug!, title: title! }));

/** The planned labs whose number has no lab folder yet, in order. */
export function plannedLabs(written: readonly Pick<Lab, 'number'>[]): PlannedLab[] {
  const numbers = new Set(written.map((lab) => lab.number));
  return PLANNED.filter((planned) => !numbers.has(planned.number));
}
