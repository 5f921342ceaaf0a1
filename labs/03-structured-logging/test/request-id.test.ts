// One request id per upload, taken from X-Request-Id or generated, echoed to the client and
// found on every line the API and the optimizer wrote for it. (The queued-job path, through
// the worker, is checked in json-lines.test.ts.)
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { freshRequestId, jsonLines, ofRequest, settled, shown, waitForLines } from './log-lines.ts';

let svc: RunningService;
let image: Buffer;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
  image = await photoJpeg(640, 480);
});
afterAll(() => svc?.stopAll());

/** What a downstream hop accepts as an id (lib/request-context.ts in the solution). */
const wellFormed = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * An upload that reaches the optimizer (a text no other upload uses: a cache miss), and the
 * lines each process wrote meanwhile (one request at a time, so they are all this upload's).
 */
async function uploadWith(headers: Record<string, string>) {
  const before: Record<ProcessName, number> = { api: jsonLines(svc, 'api').length, optimizer: jsonLines(svc, 'optimizer').length, worker: 0 };
  const wmText = `request id ${randomBytes(4).toString('hex')}`;
  const response = await upload(svc.apiUrl, { image, wmText, headers, signal: AbortSignal.timeout(10_000) });
  expect(response.status, `the upload answered ${response.status}: ${response.body.toString().slice(0, 200)}`).toBe(200);
  expect(response.headers.get('x-cache'), 'the upload should have been a cache miss, which calls the optimizer').toBe('MISS');
  const id = response.headers.get('x-request-id');
  expect(id, 'the response should carry an X-Request-Id').toBeTruthy();
  await Promise.all([settled(svc, 'api'), settled(svc, 'optimizer')]);
  const linesSince = (name: ProcessName) => jsonLines(svc, name).slice(before[name]);
  return { response, id: id!, linesSince };
}

/** Both processes logged lines with this request id, and every line they wrote for the upload carries it. */
async function expectLinesOf(requestId: string, linesSince: (name: ProcessName) => ReturnType<typeof jsonLines>): Promise<void> {
  await waitForLines(svc, 'api', `line with "request_id": "${requestId}" (bind it on a child logger for the request)`, ofRequest(requestId));
  await waitForLines(
    svc,
    'optimizer',
    `line with "request_id": "${requestId}": the API should send X-Request-Id to the optimizer, and the optimizer bind it like the API`,
    ofRequest(requestId),
  );
  for (const name of ['api', 'optimizer'] as const) {
    const without = linesSince(name).find((line) => line.request_id !== requestId);
    if (without) {
      expect.fail(`the ${name} wrote a line for upload ${requestId} that does not carry it (request_id ${JSON.stringify(without.request_id)}): log everything a request causes through its child logger: ${shown(without)}`);
    }
  }
}

describe('request id', () => {
  it('03.request-id echoes a well-formed X-Request-Id and puts it on every api and optimizer line of that upload', async () => {
    const requestId = freshRequestId('given');
    const { id, linesSince } = await uploadWith({ 'x-request-id': requestId });
    expect(id, 'the response should echo the X-Request-Id the client sent').toBe(requestId);
    await expectLinesOf(requestId, linesSince);
  });

  it('03.request-id generates an id per request when none is sent, answers it, and logs it in both processes', async () => {
    const first = await uploadWith({});
    expect(first.id, `the generated id ${JSON.stringify(first.id)} would be refused by the next hop: letters, digits, - _ . : only`).toMatch(wellFormed);
    await expectLinesOf(first.id, first.linesSince);
    const second = await uploadWith({});
    expect(second.id, 'two requests got the same generated id: generate one per request, not one per process').not.toBe(first.id);
    await expectLinesOf(second.id, second.linesSince);
  });

  it('03.request-id replaces a malformed X-Request-Id instead of echoing or passing it on', async () => {
    // Too long, with spaces and quotes: it would end up in every line and downstream header.
    const malformed = `x ${'"quoted" '.repeat(30)}`.trim();
    const { id, linesSince } = await uploadWith({ 'x-request-id': malformed });
    expect(id, 'the malformed X-Request-Id was echoed back: accept only a short token (letters, digits, - _ . :) and generate one otherwise').not.toBe(malformed);
    expect(id).toMatch(wellFormed);
    await expectLinesOf(id, linesSince);
  });
});
