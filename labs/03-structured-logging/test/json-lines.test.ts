// Every line of the three processes is a JSON object a log store can index, through a normal
// upload, refused requests, a job queued while the optimizer was down (the worker's path, its
// failed attempts included) and a start-up failure. The same run, watched by a preloaded probe,
// proves that nothing reached stdout or stderr around the logger (03.no-console).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { notAnImage, photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { get, upload } from '../../../shared/harness/upload.ts';
import { waitFor } from '../../../shared/harness/wait.ts';
import { consoleProbe, type ConsoleProbe } from './console-probe.ts';
import { failOnText, freshRequestId, ofRequest, parseOutput, quote, settled, waitForLines, type LogLine } from './log-lines.ts';
import { failStartup, type StartupFailure } from './startup-failure.ts';

let svc: RunningService;
let probe: ConsoleProbe;
let startedAt: number;
// The optimizer is restarted below, and the harness keeps only the current process's output.
let firstOptimizerOutput = '';
let failure: StartupFailure;
const direct = freshRequestId('direct');
const queued = freshRequestId('queued');

beforeAll(async () => {
  startedAt = Date.now();
  probe = consoleProbe();
  const tree = inject('tree');
  // A short fixed retry sleep so the worker's loop comes round within the test.
  const envFor = { api: probe.envFor('api'), optimizer: probe.envFor('optimizer'), worker: probe.envFor('worker') };
  svc = await startService({ tree, stack: inject('stack'), env: { RETRY_DELAY_MS: '200' }, envFor });
  const image = await photoJpeg(800, 600);
  const signal = () => AbortSignal.timeout(10_000);

  // 1. An upload the optimizer answers, and requests the API refuses.
  const first = await upload(svc.apiUrl, { image, wmText: `json lines ${direct}`, headers: { 'x-request-id': direct }, signal: signal() });
  expect(first.status, `the upload answered ${first.status}: ${first.body.toString().slice(0, 200)}`).toBe(200);
  const refused = await upload(svc.apiUrl, { image: await notAnImage(), wmText: 'json lines', signal: signal() });
  expect(refused.status, 'an upload of a text file should be refused').toBeGreaterThanOrEqual(400);
  expect((await get(`${svc.apiUrl}/no-such-route`)).status, 'an unknown route should answer 404').toBe(404);
  // Let the optimizer finish writing its lines about that upload before it is killed.
  await settled(svc, 'optimizer');
  firstOptimizerOutput = svc.logs('optimizer');

  // 2. The same picture with another text while the optimizer is down: queued, tried and failed
  // by the worker while the optimizer restarts, then finished once it is back.
  await svc.stop('optimizer', 'SIGKILL');
  const pending = await upload(svc.apiUrl, { image, wmText: `json lines, queued ${queued}`, headers: { 'x-request-id': queued }, signal: signal() });
  expect(pending.status, `with the optimizer down the upload answered ${pending.status}: ${pending.body.toString().slice(0, 200)}`).toBe(202);
  await svc.start('optimizer');
  const { statusUrl } = pending.json<{ statusUrl: string }>();
  await waitFor(
    'the worker to finish the queued job',
    async () => ((await get(svc.apiUrl + statusUrl)).json<{ status: string }>().status === 'done' ? true : undefined),
    10_000,
    100,
  );
  // The worker logs after it stored the result; give its last lines a moment to be written.
  await settled(svc, 'worker');

  // 3. A start-up failure, which only a broken dependency shows.
  failure = await failStartup(tree, 'api', probe.envFor('api-startup'));
}, 45_000);
afterAll(async () => {
  await svc?.stopAll();
  probe?.dispose();
});

const levels = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 10, 20, 30, 40, 50, 60]);

/** What is wrong with one line, or null: level, time, msg and service, of the right kinds. */
function problemOf(line: LogLine, service: ProcessName): string | null {
  if (!levels.has(line.level as string)) return `its level is ${JSON.stringify(line.level)}, not a pino level (a label like "info", or a number like 30)`;
  const time = typeof line.time === 'string' ? Date.parse(line.time) : line.time;
  // The clock when the line was written: within this test's run, not a constant.
  const timeOk = typeof time === 'number' && time >= startedAt - 1_000 && time <= Date.now() + 1_000;
  if (!timeOk) return `its time is ${JSON.stringify(line.time)}, not the ISO date or epoch milliseconds of when it was written`;
  if (typeof line.msg !== 'string' || line.msg === '') return `it has no msg (a non-empty string)`;
  if (line.service !== service) return `its service is ${JSON.stringify(line.service)}, not "${service}" (bind it once, on the process's root logger)`;
  return null;
}

function checkOutput(name: ProcessName, output: string, what: string = name): LogLine[] {
  const { lines, bad } = parseOutput(output.endsWith('\n') ? output : `${output}\n`);
  if (bad) failOnText(what, bad);
  expect(lines.length, `${what} wrote no line at all`).toBeGreaterThan(0);
  lines.forEach((line, index) => {
    const problem = problemOf(line, name);
    if (problem) expect.fail(`${what}: line ${index + 1} is JSON but ${problem}: ${quote(JSON.stringify(line))}`);
  });
  return lines;
}

describe('JSON lines', () => {
  it('03.json-lines every line of the api, optimizer and worker is a JSON object with level, time, msg and service', () => {
    const api = checkOutput('api', svc.logs('api'));
    checkOutput('optimizer', firstOptimizerOutput);
    checkOutput('optimizer', svc.logs('optimizer'));
    const worker = checkOutput('worker', svc.logs('worker'));
    // The lines checked are those of real work, not only the ready lines.
    expect(api.length, 'the api logged only its ready line through an upload and a queued job').toBeGreaterThan(2);
    expect(worker.length, 'the worker logged only its ready line although it processed a job').toBeGreaterThan(1);
  });

  it('03.json-lines logs a start-up failure as JSON too: one fatal line, then exit 1', () => {
    expect(failure.status, `the api should exit 1 when Redis refuses; it printed: ${quote(failure.output, 300)}`).toBe(1);
    const lines = checkOutput('api', failure.output, 'the api failing to start');
    expect(lines.map((line) => line.level), 'the start-up failure should be logged at level fatal').toContainEqual(expect.stringMatching(/^fatal$/));
  });

  it("03.request-id carries the upload's request id into the queued job: the worker's lines for it and the optimizer's carry it", async () => {
    // The API's lines for the queued upload, then the worker's and the optimizer's for the job.
    await waitForLines(svc, 'api', `line with request_id "${queued}" (the upload that was queued)`, ofRequest(queued));
    const worker = await waitForLines(svc, 'worker', `line with request_id "${queued}": put the request id into the job (lib/job.ts) and bind it on the worker's logger for that job`, ofRequest(queued));
    expect(worker.length, 'the worker wrote a single line for the job').toBeGreaterThan(1);
    await waitForLines(svc, 'optimizer', `line with request_id "${queued}": the worker should send X-Request-Id when it calls the optimizer`, ofRequest(queued));
    // And nothing of the earlier, direct upload leaked into the worker's context.
    const stray = parseOutput(svc.logs('worker')).lines.filter(ofRequest(direct));
    expect(stray, `the worker logged lines with the direct upload's request id "${direct}", which it never processed`).toHaveLength(0);
  });

  it('03.no-console writes nothing to stdout or stderr around the logger, seen from inside each process', () => {
    probe.expectOnlyLoggerWrites('api');
    probe.expectOnlyLoggerWrites('optimizer');
    probe.expectOnlyLoggerWrites('worker');
    probe.expectOnlyLoggerWrites('api-startup', 'the api failing to start');
  });
});
