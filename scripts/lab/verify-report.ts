// Pure part of `npm run verify`: maps test outcomes onto a lab's criteria by the id each test
// title starts with, and formats one line per criterion.
import { join, sep } from 'node:path';
import type { Lab } from './catalog.ts';
import type { Criterion, LabMeta } from './lab-meta.ts';
import type { CriterionStatus } from './progress.ts';
import type { FileOutcome, TestOutcome } from './run-vitest.ts';
import { idsInSource, leadingId } from './test-files.ts';

export interface CriterionResult {
  criterion: Criterion;
  status: CriterionStatus;
  /** One line: the criterion's text when it passed, the failing expectation when it failed. */
  detail: string;
  tests: number;
}

export interface LabResult {
  lab: Lab;
  meta: LabMeta;
  criteria: CriterionResult[];
  /** Tests of this lab whose title starts with no criterion id of its lab.json. */
  unmapped: TestOutcome[];
}

export interface LabInput {
  lab: Lab;
  meta: LabMeta;
  /** Source text of each test file (absolute path → text), to place files that failed to load. */
  sources: Map<string, string>;
}

/** The criterion id of a test: its own title's leading id, else the first describe() that has one. */
export function criterionIdOf(test: TestOutcome): string | null {
  return leadingId(test.title) ?? test.ancestors.map(leadingId).find((id) => id !== null) ?? null;
}

// ANSI escapes, which vitest puts in some messages.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The first meaningful line of a failure message, without "AssertionError: " or colours. */
export function firstLine(message: string | undefined): string {
  const line = (message ?? '').replace(ANSI, '').split('\n').map((part) => part.trim()).find((part) => part !== '') ?? 'failed without a message';
  const short = line.replace(/^AssertionError: /, '');
  return short.length > 200 ? `${short.slice(0, 199)}…` : short;
}

const shortFile = (lab: Lab, file: string) => `test/${file.slice(join(lab.dir, 'test').length + 1).split(sep).join('/')}`;

export function mapResults(input: LabInput, files: FileOutcome[]): LabResult {
  const { lab, meta, sources } = input;
  const mine = files.filter((file) => file.file.startsWith(lab.dir + sep));
  const byId = new Map<string, { test: TestOutcome; file: FileOutcome }[]>();
  const unmapped: TestOutcome[] = [];
  const known = new Set(meta.criteria.map((criterion) => criterion.id));
  for (const file of mine) {
    for (const test of file.tests) {
      const id = criterionIdOf(test);
      if (id === null || !known.has(id)) unmapped.push(test);
      else byId.set(id, [...(byId.get(id) ?? []), { test, file }]);
    }
  }
  const criteria = meta.criteria.map((criterion): CriterionResult => {
    const tests = byId.get(criterion.id) ?? [];
    const fail = (detail: string): CriterionResult => ({ criterion, status: 'failed', detail, tests: tests.length });
    if (tests.length === 0) {
      // A file that failed to load reports no tests; its source still says which criteria it covers.
      const broken = mine.find((file) => file.tests.length === 0 && file.message && idsInSource(sources.get(file.file) ?? '').has(criterion.id));
      if (broken) return fail(`${shortFile(lab, broken.file)} failed to load: ${firstLine(broken.message)}`);
      return fail(`labs/${lab.name} has no test for criterion ${criterion.id}; add one under test/`);
    }
    const failed = tests.find(({ test }) => test.status === 'failed');
    if (failed) return fail(firstLine(failed.test.message));
    if (tests.every(({ test }) => test.status === 'skipped')) {
      // Typically a beforeAll that threw: vitest skips the tests and keeps the error on the file.
      const why = tests.find(({ file }) => file.message)?.file;
      return fail(why ? `${shortFile(lab, why.file)}: ${firstLine(why.message)}` : 'its tests were skipped');
    }
    return { criterion, status: 'passed', detail: criterion.text, tests: tests.length };
  });
  return { lab, meta, criteria, unmapped };
}

export function requiredPassed(result: LabResult): boolean {
  return result.criteria.every((entry) => entry.criterion.level === 'bonus' || entry.status === 'passed');
}

export function statuses(result: LabResult): Record<string, CriterionStatus> {
  return Object.fromEntries(result.criteria.map((entry) => [entry.criterion.id, entry.status]));
}

/** One line per criterion, e.g. "  ✗ 07.ready  expected 503 to be 200  → npm run lab hint 07 07.ready". */
export function formatLabResult(result: LabResult): string[] {
  const { lab, meta } = result;
  const width = Math.max(...result.criteria.map((entry) => entry.criterion.id.length));
  const lines = [`lab ${lab.nn} · ${meta.title}`];
  for (const { criterion, status, detail, tests } of result.criteria) {
    const bonus = criterion.level === 'bonus';
    const mark = status === 'passed' ? '✓' : bonus ? '○' : '✗';
    const id = criterion.id.padEnd(width);
    if (bonus && tests === 0) lines.push(`  ${mark} ${id}  (bonus, no automatic check) ${criterion.text}`);
    else if (status === 'passed') lines.push(`  ${mark} ${id}  ${bonus ? '(bonus) ' : ''}${detail}`);
    else lines.push(`  ${mark} ${id}  ${bonus ? '(bonus) ' : ''}${detail}  → npm run lab hint ${lab.nn} ${criterion.id}`);
  }
  for (const test of result.unmapped) {
    lines.push(`  ? test "${[...test.ancestors, test.title].join(' › ')}" names no criterion of labs/${lab.name}/lab.json (${test.status})`);
  }
  return lines;
}
