// Runs test files with vitest against one service tree (LAB_TREE) and reads back what happened
// from vitest's JSON report, which is what verify maps onto criteria.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { UserError } from './errors.ts';
import { localDir, type LabRepo } from './paths.ts';

export interface TestOutcome {
  title: string;
  /** describe() titles, outermost first. */
  ancestors: string[];
  status: 'passed' | 'failed' | 'skipped';
  /** The first failure message (assertion message then stack). */
  message?: string;
}

export interface FileOutcome {
  /** Absolute path of the test file. */
  file: string;
  status: 'passed' | 'failed';
  /** Why the file as a whole failed: an import error, a failing beforeAll… */
  message: string;
  tests: TestOutcome[];
}

interface JsonReport {
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { title: string; ancestorTitles?: string[]; status: string; failureMessages?: string[] }[];
  }[];
}

/** The part of vitest's JSON report verify needs; tolerant of fields vitest may add. */
export function parseVitestReport(json: unknown): FileOutcome[] {
  const report = json as JsonReport;
  if (!report || !Array.isArray(report.testResults)) throw new Error('not a vitest JSON report (no testResults)');
  return report.testResults.map((file) => ({
    file: file.name,
    status: file.status === 'passed' ? 'passed' : 'failed',
    message: file.message ?? '',
    tests: file.assertionResults.map((test) => ({
      title: test.title,
      ancestors: test.ancestorTitles ?? [],
      status: test.status === 'passed' ? 'passed' : test.status === 'failed' ? 'failed' : 'skipped',
      ...(test.failureMessages?.length ? { message: test.failureMessages[0] } : {}),
    })),
  }));
}

export interface RunOptions {
  /** Absolute path of the service tree the tests run against (LAB_TREE). */
  tree: string;
  /** Show vitest's own full output instead of one mark per test. */
  verbose?: boolean;
  /** Only tests whose full name (describe titles and title) matches this regular expression. */
  testNamePattern?: string;
}

/** .lab/verify/<name>, ready for vitest to write: a report left by an earlier run must not be read as this one's. */
export function freshReportFile(repo: LabRepo, name: string): string {
  const report = join(localDir(repo), 'verify', name);
  mkdirSync(dirname(report), { recursive: true });
  rmSync(report, { force: true });
  return report;
}

export async function runVitest(repo: LabRepo, files: string[], options: RunOptions): Promise<FileOutcome[]> {
  const vitest = join(repo.root, 'node_modules', '.bin', 'vitest');
  if (!existsSync(vitest)) throw new UserError('vitest is not installed (node_modules/.bin/vitest is missing)', 'npm ci');
  const report = freshReportFile(repo, 'report.json');
  const reporter = options.verbose ? 'default' : join(import.meta.dirname, 'quiet-reporter.ts');
  const args = [
    'run',
    ...files.map((file) => relative(repo.root, file).split(sep).join('/')),
    '--reporter=json',
    `--outputFile.json=${report}`,
    `--reporter=${reporter}`,
    ...(options.testNamePattern ? ['-t', options.testNamePattern] : []),
  ];
  // stdout is piped only to drop the JSON reporter's "JSON report written to …" line; colours
  // stay on when the learner's terminal has them.
  const color = process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {};
  const child = spawn(vitest, args, { cwd: repo.root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, ...color, LAB_TREE: options.tree } });
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const cut = pending.lastIndexOf('\n') + 1;
    process.stdout.write(dropReportLine(pending.slice(0, cut)));
    pending = pending.slice(cut);
    // Progress marks come without a newline: pass them on at once unless they may begin that line.
    if (!mayBeReportLine(pending)) {
      process.stdout.write(pending);
      pending = '';
    }
  });
  const code = await new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve(status ?? signal ?? 'unknown'));
  });
  process.stdout.write(dropReportLine(pending));
  return readReport(report, `exit ${code}`);
}

/** The outcomes of a finished run; a one-line UserError when vitest stopped before its tests. */
export function readReport(report: string, how: string): FileOutcome[] {
  if (!existsSync(report)) {
    throw new UserError(`vitest stopped before writing its report (${how}); its output is above`, 'fix what it says, or run again with --verbose');
  }
  const outcomes = parseVitestReport(JSON.parse(readFileSync(report, 'utf8')));
  if (outcomes.length === 0) {
    throw new UserError('vitest ran no test file: an error stopped it before the tests (printed above)', 'fix what it says, or run again with --verbose');
  }
  return outcomes;
}

const REPORT_LINE = 'JSON report written to ';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function mayBeReportLine(partial: string): boolean {
  const plain = partial.replace(ANSI, '');
  return plain.startsWith(REPORT_LINE) || REPORT_LINE.startsWith(plain);
}

/** Removes the JSON reporter's "JSON report written to …" lines from complete lines of output. */
export function dropReportLine(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !line.replace(ANSI, '').startsWith(REPORT_LINE))
    .join('');
}
