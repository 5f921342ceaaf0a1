import { basename } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runLoad } from './load-cli.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';

// The server answers every request after DELAY_MS and fails one in FAIL_EVERY with a 500,
// both drawn per run so no constant in the tool can answer; its own counts are the truth.
const DELAY_MS = [30, 45, 60][Math.floor(Math.random() * 3)]!;
const FAIL_EVERY = [3, 5, 8][Math.floor(Math.random() * 3)]!;
const SHARE = 100 / FAIL_EVERY;
// Latency thresholds on p50 and p75: a short run's p99 is its one or two slowest requests, at
// the mercy of a busy machine.
const FAILING = ['p50<20ms', `errors<${Math.floor(SHARE / 2)}%`];
const HOLDING = ['p75<10s', `errors<${Math.min(90, Math.ceil(SHARE * 2))}%`];

const servers: ScriptedServer[] = [];
afterAll(() => servers.forEach((server) => server.close()));
async function server(): Promise<ScriptedServer> {
  const started = await startScriptedServer((i) => ({ delayMs: DELAY_MS, status: i % FAIL_EVERY === FAIL_EVERY - 1 ? 500 : 200 }));
  servers.push(started);
  return started;
}

const load = (thresholds: string[]) => ({
  request: { method: 'GET', path: '/' },
  closed: { stages: [{ duration: '0s', target: 2 }, { duration: '1.5s', target: 2 }] },
  thresholds,
});

/** Output lines that name `expression` and no other threshold of the run (not the summary). */
function linesNaming(output: string, expression: string, all: string[]): string[] {
  return output.split('\n').filter((line) => line.includes(expression) && all.every((other) => other === expression || !line.includes(other)));
}

const failedMark = /✗|fail/i;
// The numbers of a line, leaving out the expression and metric names ("p95" is not a value).
const numbers = (line: string, expression: string) =>
  (line.replace(expression, '').replace(/\bp\(?\d+(?:\.\d+)?\)?/g, '').match(/\d+(?:\.\d+)?/g) ?? []).map(Number);

/**
 * Checks that one line names `expression`, marks it as failed or held as `holds` says, and
 * carries a measured value in [low, high].
 */
function expectVerdict(output: string, all: string[], expression: string, holds: boolean, [low, high]: [number, number], truth: string): void {
  const lines = linesNaming(output, expression, all);
  const verdict = holds ? 'held (✓)' : 'failed (✗ or "fail")';
  const marked = lines.filter((line) => failedMark.test(line) !== holds);
  expect(marked, `no output line marks "${expression}" as ${verdict}; ${truth}:\n${output}`).not.toEqual([]);
  const wrong = lines.filter((line) => failedMark.test(line) === holds);
  expect(wrong, `"${expression}" should have ${holds ? 'held' : 'failed'} (${truth}) but a line says otherwise`).toEqual([]);
  const valued = marked.filter((line) => numbers(line, expression).some((n) => n >= low && n <= high));
  expect(valued, `the line for "${expression}" should give the measured value, between ${low.toFixed(1)} and ${high.toFixed(1)} (${truth}):\n${marked.join('\n')}`).not.toEqual([]);
}

describe.concurrent('thresholds', () => {
  it('02.thresholds in one run, the thresholds that fail are marked ✗ and those that hold ✓, each with the value the server saw; the exit code is non-zero', async () => {
    const target = await server();
    const all = [...FAILING, ...HOLDING];
    const run = await runLoad(inject('tree'), load(all), { target: target.url, timeoutMs: 25_000 });
    expect(target.arrived, `the server saw fewer than 5 requests\n${run.output}`).toBeGreaterThan(4);
    expect(run.code, `the run should fail: "${FAILING.join('" and "')}" cannot hold\n${run.output}`).not.toBe(0);
    const { failed, arrived } = target;
    const errorsTruth = `the server failed ${failed} of ${arrived} requests, ${((100 * failed) / arrived).toFixed(1)} %`;
    const latencyTruth = `the server answered every request after ${DELAY_MS} ms`;
    // No answer came sooner than the server's delay; the ceiling, far below "10s", only refuses
    // an echoed limit or another unit.
    const latencyRange: [number, number] = [DELAY_MS, 2_000];
    // The report may leave out the 2 requests in flight at the stop, failed or not; ± 0.5 for rounding.
    const shareRange: [number, number] = [(100 * Math.max(0, failed - 2)) / (arrived - 2) - 0.5, (100 * failed) / (arrived - 2) + 0.5];
    expectVerdict(run.output, all, FAILING[0]!, false, latencyRange, latencyTruth);
    expectVerdict(run.output, all, FAILING[1]!, false, shareRange, errorsTruth);
    expectVerdict(run.output, all, HOLDING[0]!, true, latencyRange, latencyTruth);
    expectVerdict(run.output, all, HOLDING[1]!, true, shareRange, errorsTruth);
  });

  it('02.thresholds exits 0 when every threshold holds, an error-rate one included', async () => {
    const target = await server();
    const run = await runLoad(inject('tree'), load(HOLDING), { target: target.url, timeoutMs: 25_000 });
    expect(run.code, `"${HOLDING.join('" and "')}" hold (the server failed ${target.failed} of ${target.arrived} requests)\n${run.output}`).toBe(0);
    expect(target.arrived, `the server saw no request\n${run.output}`).toBeGreaterThan(0);
  });

  it('02.thresholds rejects a malformed threshold before sending any load, naming the file and the threshold', async () => {
    const target = await server();
    const run = await runLoad(inject('tree'), load(['p95<fast']), { target: target.url, timeoutMs: 25_000, name: 'typo' });
    expect(run.code, `a scenario with the threshold "p95<fast" should be refused\n${run.output}`).toBe(1);
    expect(run.output, 'the message should name the scenario file').toContain(basename(run.scenarioFile));
    expect(run.output, 'the message should quote the bad threshold').toContain('p95<fast');
    expect(run.output, 'a known problem is reported without a stack trace').not.toMatch(/^\s+at /m);
    expect(target.arrived, 'requests were sent before the scenario was validated').toBe(0);
  });
});
