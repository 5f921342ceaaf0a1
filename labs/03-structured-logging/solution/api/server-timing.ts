// The pipeline steps of one /upload: each is timed once and reported twice, in the
// Server-Timing header (one entry per step, always in the same order and always present, a
// step that did not run says so, then the total; the web page draws one bar per entry) and
// as one log line per step (lib/step-log.ts), which carries the request id.
import type { Logger } from '../lib/logger.ts';
import { logStep, measureStep } from '../lib/step-log.ts';
import type { StepReport } from '../lib/step-log.ts';

export type Step = 'redis' | 'minio' | 'optimizer' | 'gzip';
const steps: readonly Step[] = ['redis', 'minio', 'optimizer', 'gzip'];

export interface TimedStep {
  step: Step;
  /** The operation, where a step has several (redis get, set, mark_pending). */
  op?: string;
}

export interface ServerTiming {
  /**
   * Runs `work`, adds its duration to the step (a step may run more than once, e.g. Redis GET
   * then SET) and logs the step line with what `report` says about the result. Unless
   * describe() was called, the step's first report is its Server-Timing description.
   */
  measure<T>(name: TimedStep, work: () => Promise<T>, report: (result: T) => StepReport): Promise<T>;
  /** A step that did not run: logged with duration_ms 0, described as "skipped: <reason>". */
  skip(step: Step, reason: string): void;
  /** Sets the human-readable description shown for `step`. */
  describe(step: Step, description: string): void;
  /** The header value, with the total measured from the start until now. */
  header(): string;
}

export function startServerTiming(log: Logger): ServerTiming {
  const startedAt = performance.now();
  const durations = new Map<Step, number>();
  const descriptions = new Map<Step, string>();
  const describeOnce = (step: Step, { outcome, reason }: StepReport) => {
    if (!descriptions.has(step)) descriptions.set(step, reason ? `${outcome}: ${reason}` : outcome);
  };

  return {
    async measure(name, work, report) {
      let ran: StepReport | undefined;
      const started = performance.now();
      const add = (ms: number) => durations.set(name.step, (durations.get(name.step) ?? 0) + ms);
      try {
        // The header carries the duration the step's line logged, so the two never disagree.
        const { value, durationMs } = await measureStep(log, name, work, (result) => (ran = report(result)));
        add(durationMs);
        return value;
      } catch (error) {
        add(performance.now() - started);
        throw error;
      } finally {
        describeOnce(name.step, ran ?? { outcome: 'failed' });
      }
    },
    skip(step, reason) {
      const report = { outcome: 'skipped', reason };
      logStep(log, { step }, 0, report);
      describeOnce(step, report);
    },
    describe(step, description) {
      descriptions.set(step, description);
    },
    header() {
      const entries = steps.map((step) => {
        const duration = durations.get(step);
        const description = descriptions.get(step) ?? (duration === undefined ? 'skipped' : undefined);
        return entry(step, duration ?? 0, description);
      });
      entries.push(entry('total', performance.now() - startedAt));
      return entries.join(', ');
    },
  };
}

function entry(name: string, milliseconds: number, description?: string): string {
  // A header value must stay printable ASCII; quotes and backslashes would end the string, and
  // commas and semicolons, though legal inside it, trip naive parsers.
  const desc = description === undefined ? '' : `;desc="${description.replace(/[^\x20-\x7e]|["\\,;]/g, '')}"`;
  return `${name};dur=${milliseconds.toFixed(1)}${desc}`;
}
