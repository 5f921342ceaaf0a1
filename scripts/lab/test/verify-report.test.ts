import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lab } from '../catalog.ts';
import { LabMetaSchema } from '../lab-meta.ts';
import { parseVitestReport, type FileOutcome } from '../run-vitest.ts';
import { criterionIdOf, firstLine, formatLabResult, mapResults, requiredPassed, statuses } from '../verify-report.ts';
import { labJson } from './fixture.ts';

const lab: Lab = { number: 7, nn: '07', slug: 'metrics-health', name: '07-metrics-health', dir: '/repo/labs/07-metrics-health' };
const meta = LabMetaSchema.parse(JSON.parse(labJson('07', 'See it in Prometheus', ['exposition', 'ready', 'health', 'dashboard'])));
const file = (name: string) => join(lab.dir, 'test', name);
const input = (sources: Record<string, string> = {}) => ({ lab, meta, sources: new Map(Object.entries(sources).map(([name, text]) => [file(name), text])) });

describe('mapping test results onto criteria', () => {
  it('takes the criterion id a test title starts with, or else its describe()', () => {
    expect(criterionIdOf({ title: '07.ready answers 503 naming redis', ancestors: ['readiness'], status: 'passed' })).toBe('07.ready');
    expect(criterionIdOf({ title: 'answers 503', ancestors: ['GET /ready', '07.ready: readiness'], status: 'passed' })).toBe('07.ready');
    expect(criterionIdOf({ title: '07.ready-fast is not 07.ready', ancestors: [], status: 'passed' })).toBe('07.ready-fast');
    expect(criterionIdOf({ title: 'no id at all', ancestors: [], status: 'passed' })).toBeNull();
  });

  it('passes a criterion when all its tests pass, and fails it with the first failing expectation in one line', () => {
    const outcomes: FileOutcome[] = [{
      file: file('metrics.test.ts'), status: 'failed', message: '',
      tests: [
        { title: '07.exposition parses', ancestors: [], status: 'passed' },
        { title: '07.ready is 200 when all is up', ancestors: [], status: 'passed' },
        { title: '07.ready is 503 when redis is down', ancestors: [], status: 'failed', message: '\u001b[31mAssertionError: expected 200 to be 503 // Object.is equality\u001b[39m\n    at metrics.test.ts:12:5' },
        { title: '07.health stays up', ancestors: [], status: 'passed' },
      ],
    }];
    const result = mapResults(input(), outcomes);
    expect(statuses(result)).toEqual({ '07.exposition': 'passed', '07.ready': 'failed', '07.health': 'passed', '07.dashboard': 'failed' });
    expect(result.criteria[1]!.detail).toBe('expected 200 to be 503 // Object.is equality');
    expect(requiredPassed(result)).toBe(false);
  });

  it('fails a required criterion that has no test, naming the fix', () => {
    const result = mapResults(input(), [{ file: file('a.test.ts'), status: 'passed', message: '', tests: [{ title: '07.exposition parses', ancestors: [], status: 'passed' }] }]);
    expect(result.criteria[1]).toMatchObject({ status: 'failed', detail: 'labs/07-metrics-health has no test for criterion 07.ready; add one under test/' });
  });

  it('places a test file that failed to load on the criteria its source names', () => {
    const outcomes: FileOutcome[] = [{ file: file('ready.test.ts'), status: 'failed', message: "Cannot find module './nope.ts'", tests: [] }];
    const result = mapResults(input({ 'ready.test.ts': "it('07.ready answers', () => {});" }), outcomes);
    expect(result.criteria[1]!.detail).toBe("test/ready.test.ts failed to load: Cannot find module './nope.ts'");
  });

  it('explains skipped tests with the error of the hook that stopped them', () => {
    const outcomes: FileOutcome[] = [{
      file: file('all.test.ts'), status: 'failed', message: 'api printed no "api ready" line within 20000 ms:\n…',
      tests: ['07.exposition', '07.ready', '07.health'].map((id) => ({ title: `${id} x`, ancestors: [], status: 'skipped' as const })),
    }];
    const result = mapResults(input(), outcomes);
    expect(result.criteria[0]!.detail).toBe('test/all.test.ts: api printed no "api ready" line within 20000 ms:');
  });

  it('ignores other labs\' files and reports tests that name no criterion', () => {
    const outcomes: FileOutcome[] = [
      { file: '/repo/labs/06-circuit-breaker/test/x.test.ts', status: 'failed', message: '', tests: [{ title: '07.ready elsewhere', ancestors: [], status: 'failed' }] },
      { file: file('x.test.ts'), status: 'passed', message: '', tests: [{ title: 'helper works', ancestors: [], status: 'passed' }] },
    ];
    const result = mapResults(input(), outcomes);
    expect(result.criteria[1]!.detail).toMatch(/has no test/);
    expect(result.unmapped.map((test) => test.title)).toEqual(['helper works']);
  });

  it('passes the lab when every required criterion passes, whatever the bonus ones do', () => {
    const tests = ['07.exposition', '07.ready', '07.health'].map((id) => ({ title: `${id} ok`, ancestors: [], status: 'passed' as const }));
    expect(requiredPassed(mapResults(input(), [{ file: file('a.test.ts'), status: 'passed', message: '', tests }]))).toBe(true);
  });
});

describe('verify output', () => {
  it('prints one line per criterion: ✓ with its text, ✗ with the expectation and the hint command of that criterion', () => {
    const result = mapResults(input(), [{
      file: file('a.test.ts'), status: 'failed', message: '',
      tests: [
        { title: '07.exposition ok', ancestors: [], status: 'passed' },
        { title: '07.ready ok', ancestors: [], status: 'failed', message: 'AssertionError: expected 503 to be 200' },
        { title: '07.health ok', ancestors: [], status: 'passed' },
      ],
    }]);
    expect(formatLabResult(result)).toEqual([
      'lab 07 · See it in Prometheus',
      '  ✓ 07.exposition  the exposition works',
      '  ✗ 07.ready       expected 503 to be 200  → npm run lab hint 07 07.ready',
      '  ✓ 07.health      the health works',
      '  ○ 07.dashboard   (bonus, no automatic check) the dashboard works',
    ]);
  });

  it('keeps the first meaningful line of a message, short', () => {
    expect(firstLine('\n\nError: boom\nstack')).toBe('Error: boom');
    expect(firstLine(undefined)).toBe('failed without a message');
    expect(firstLine('x'.repeat(300))).toHaveLength(200);
  });
});

describe('vitest JSON report', () => {
  it('reads files, titles, statuses and the first failure message', () => {
    const outcomes = parseVitestReport({
      numTotalTests: 2,
      testResults: [{
        name: '/repo/labs/07-metrics-health/test/a.test.ts', status: 'failed', message: '',
        assertionResults: [
          { ancestorTitles: ['GET /ready'], title: '07.ready answers', status: 'failed', failureMessages: ['AssertionError: no', 'second'], meta: {} },
          { ancestorTitles: [], title: '07.health', status: 'pending', failureMessages: [] },
        ],
      }],
    });
    expect(outcomes).toEqual([{
      file: '/repo/labs/07-metrics-health/test/a.test.ts', status: 'failed', message: '',
      tests: [
        { title: '07.ready answers', ancestors: ['GET /ready'], status: 'failed', message: 'AssertionError: no' },
        { title: '07.health', ancestors: [], status: 'skipped' },
      ],
    }]);
  });
});
