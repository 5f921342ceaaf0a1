// Every line of the three processes is a JSON object a log store can index, through a normal
// upload and through a job queued while the optimizer was down (the worker's path).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { get, upload } from '../../../shared/harness/upload.ts';
import { waitFor } from '../../../shared/harness/wait.ts';
import { failOnText, freshRequestId, ofRequest, parseOutput, quote, waitForLines, type LogLine } from './log-lines.ts';

let svc: RunningService;
// The optimizer is restarted below, and the harness keeps only the current process's output.
let firstOptimizerOutput = '';
const direct = freshRequestId('direct');
const queued = freshRequestId('queued');

beforeAll(async () => {
  // A short fixed retry sleep so the worker's loop comes round within the test.
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), env: { RETRY_DELAY_MS: '200' } });
  const image = await photoJpeg(800, 600);

  // 1. An upload the optimizer answers.
  const first = await upload(svc.apiUrl, { image, wmText: 'json lines', headers: { 'x-request-id': direct }, signal: AbortSignal.timeout(10_000) });
  expect(first.status, `the upload answered ${first.status}: ${first.body.toString().slice(0, 200)}`).toBe(200);
  // Let the optimizer finish writing its lines about that upload before it is killed.
  await new Promise((resolve) => setTimeout(resolve, 300));
  firstOptimizerOutput = svc.logs('optimizer');

  // 2. The same picture with another text while the optimizer is down: queued, then finished by
  // the worker once the optimizer is back.
  await svc.stop('optimizer', 'SIGKILL');
  const pending = await upload(svc.apiUrl, { image, wmText: 'json lines, queued', headers: { 'x-request-id': queued }, signal: AbortSignal.timeout(10_000) });
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
  await new Promise((resolve) => setTimeout(resolve, 300));
}, 40_000);
afterAll(() => svc?.stopAll());

const levels = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 10, 20, 30, 40, 50, 60]);

/** What is wrong with one line, or null: level, time, msg and service, of the right kinds. */
function problemOf(line: LogLine, service: ProcessName): string | null {
  if (!levels.has(line.level as string)) return `its level is ${JSON.stringify(line.level)}, not a pino level (a label like "info", or a number like 30)`;
  const time = line.time;
  const timeOk = (typeof time === 'number' && time > 1e12) || (typeof time === 'string' && !Number.isNaN(Date.parse(time)));
  if (!timeOk) return `its time is ${JSON.stringify(time)}, not an ISO date or epoch milliseconds`;
  if (typeof line.msg !== 'string' || line.msg === '') return `it has no msg (a non-empty string)`;
  if (line.service !== service) return `its service is ${JSON.stringify(line.service)}, not "${service}" (bind it once, on the process's root logger)`;
  return null;
}

function checkOutput(name: ProcessName, output: string): number {
  const { lines, bad } = parseOutput(output);
  if (bad) failOnText(name, bad);
  expect(lines.length, `${name} wrote no line at all`).toBeGreaterThan(0);
  lines.forEach((line, index) => {
    const problem = problemOf(line, name);
    if (problem) expect.fail(`${name}: line ${index + 1} is JSON but ${problem}: ${quote(JSON.stringify(line))}`);
  });
  return lines.length;
}

describe('JSON lines', () => {
  it('03.json-lines every line of the api, optimizer and worker is a JSON object with level, time, msg and service', () => {
    const counts = [
      checkOutput('api', svc.logs('api')),
      checkOutput('optimizer', firstOptimizerOutput),
      checkOutput('optimizer', svc.logs('optimizer')),
      checkOutput('worker', svc.logs('worker')),
    ];
    // The lines checked are those of real work, not only the ready lines.
    expect(counts[0], 'the api logged only its ready line through an upload and a queued job').toBeGreaterThan(2);
    expect(counts[3], 'the worker logged only its ready line although it processed a job').toBeGreaterThan(1);
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
});
