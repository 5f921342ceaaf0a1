// Lab 03's test helpers: read a process's output as JSON log lines, find the lines of one
// request, and wait (bounded) for a line that has not been written yet. Output that is not
// JSON lines fails at once, naming the first offending line: waiting cannot fix it.
import { expect } from 'vitest';
import type { ProcessName, RunningService } from '../../../shared/harness/service.ts';

export type LogLine = Record<string, unknown>;

export interface ParsedOutput {
  lines: LogLine[];
  /** The first complete line that is not a JSON object, with its 1-based number. */
  bad?: { number: number; text: string };
}

/**
 * Parses complete lines (up to the last newline; a line still being written is left for the
 * next read). Blank lines are skipped.
 */
export function parseOutput(output: string): ParsedOutput {
  const complete = output.slice(0, output.lastIndexOf('\n') + 1);
  const lines: LogLine[] = [];
  const texts = complete.split('\n');
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { lines, bad: { number: i + 1, text } };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { lines, bad: { number: i + 1, text } };
    lines.push(value as LogLine);
  }
  return { lines };
}

/** "`api ready on http://…`", cut to a readable length. */
export function quote(text: string, max = 140): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return `\`${flat.length > max ? `${flat.slice(0, max)}…` : flat}\``;
}

/** A line without the fields every line has (time, pid…), so that a message shows what it said. */
export function shown(line: LogLine): string {
  const fields = Object.fromEntries(Object.entries(line).filter(([key]) => !['time', 'service', 'pid', 'hostname'].includes(key)));
  return quote(JSON.stringify(fields), 240);
}

/** Fails with the first line of `name`'s output that is not a JSON object. */
export function failOnText(name: string, bad: NonNullable<ParsedOutput['bad']>): never {
  expect.fail(`${name}: output line ${bad.number} is not a JSON object: ${quote(bad.text)}. Every line should come from the logger in lib/logger.ts (pino), none from console.* or a bare write`);
}

/** Every line `name` wrote so far, failing at the first that is not JSON. */
export function jsonLines(svc: RunningService, name: ProcessName): LogLine[] {
  const { lines, bad } = parseOutput(svc.logs(name));
  if (bad) failOnText(name, bad);
  return lines;
}

/**
 * Polls `name`'s output until `select` picks at least `count` lines, and returns them. Lines are
 * written asynchronously and a response can reach the test before its summary line is out.
 */
export async function waitForLines(
  svc: RunningService,
  name: ProcessName,
  what: string,
  select: (line: LogLine) => boolean,
  { timeoutMs = 3_000, count = 1 } = {},
): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = jsonLines(svc, name).filter(select);
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      expect.fail(`${name}: no ${what} within ${timeoutMs / 1000} s (found ${found.length} of ${count}); its last lines:\n${tail(svc.logs(name))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Resolves once `name` has written nothing new for a quarter of a second, or after `timeoutMs`
 * (a process that keeps logging is no failure): lines are written asynchronously.
 */
export async function settled(svc: RunningService, name: ProcessName, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline && svc.logs(name).length !== last) {
    last = svc.logs(name).length;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The lines that carry `requestId` in their request_id field. */
export const ofRequest = (requestId: string) => (line: LogLine) => line.request_id === requestId;

/** The last few lines of an output, for a failure message. */
export function tail(output: string, count = 6): string {
  return output
    .trimEnd()
    .split('\n')
    .slice(-count)
    .map((line) => `  ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`)
    .join('\n');
}

/** A request id no other test uses: "lab03-<what>-<random>". */
export function freshRequestId(what: string): string {
  return `lab03-${what}-${Math.random().toString(36).slice(2, 10)}`;
}
