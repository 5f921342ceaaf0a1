// The Server-Timing header of every /upload answer: one entry per pipeline step, always in
// the same order and always present (a step that did not run says so), then the total.
// The web page draws one bar per entry.

export type Step = 'redis' | 'minio' | 'optimizer' | 'gzip';
const steps: readonly Step[] = ['redis', 'minio', 'optimizer', 'gzip'];

export interface ServerTiming {
  /** Runs `work` and adds its duration to `step` (a step may run more than once, e.g. Redis GET then SET). */
  measure<T>(step: Step, work: () => Promise<T>): Promise<T>;
  /** Sets the human-readable description shown for `step`. */
  describe(step: Step, description: string): void;
  /** The header value, with the total measured from the start until now. */
  header(): string;
}

export function startServerTiming(): ServerTiming {
  const startedAt = performance.now();
  const durations = new Map<Step, number>();
  const descriptions = new Map<Step, string>();

  return {
    async measure(step, work) {
      const start = performance.now();
      try {
        return await work();
      } finally {
        durations.set(step, (durations.get(step) ?? 0) + performance.now() - start);
      }
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
