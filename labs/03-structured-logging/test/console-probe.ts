// The run-time half of 03.no-console: shared/harness/probes/console-probe.ts, preloaded into
// each process with NODE_OPTIONS, records every write to stdout or stderr that pino did not
// make. The source scan cannot see through every alias; the probe sees the write itself.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { quote } from './log-lines.ts';

const probeModule = resolve(import.meta.dirname, '../../../shared/harness/probes/console-probe.ts');

export interface ConsoleProbe {
  /** The environment that loads the probe into a process and names its record file. */
  envFor(name: string): Record<string, string>;
  /** Fails unless the probe loaded into `name` and saw no write that bypassed the logger. */
  expectOnlyLoggerWrites(name: string, what?: string): void;
  dispose(): void;
}

interface ProbeRecord {
  kind: 'loaded' | 'write';
  via?: string;
  fd?: number;
  text?: string;
  stack?: string;
}

export function consoleProbe(): ConsoleProbe {
  const dir = mkdtempSync(join(tmpdir(), 'lab03-console-probe-'));
  const fileOf = (name: string) => join(dir, `${name}.jsonl`);
  return {
    envFor: (name) => ({ NODE_OPTIONS: `--import ${probeModule}`, CONSOLE_PROBE_FILE: fileOf(name) }),
    expectOnlyLoggerWrites(name, what = `the ${name}`) {
      const file = fileOf(name);
      const records = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ProbeRecord) : [];
      // No record means no evidence: the probe must have watched the process to pass it.
      if (!records.some((record) => record.kind === 'loaded')) expect.fail(`the console probe did not load into ${what} (NODE_OPTIONS=--import ${probeModule})`);
      const writes = records.filter((record) => record.kind === 'write');
      if (writes.length === 0) return;
      const first = writes[0]!;
      expect.fail(
        `${what} wrote ${writes.length} time(s) to stdout/stderr around the logger; the first, through ${first.via}: ${quote(first.text ?? '')}\n  called from ${callerOf(first.stack ?? '')}. Log through lib/logger.ts (pino) instead`,
      );
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The first frame of the service's own code in a recorded stack: where the write was made. */
function callerOf(stack: string): string {
  const frames = stack.split('\n').map((line) => line.trim());
  const frame = frames.find((line) => !line.includes('node:') && !line.includes('node_modules')) ?? frames[0] ?? 'an unknown place';
  return frame.replace(/^at /, '');
}
