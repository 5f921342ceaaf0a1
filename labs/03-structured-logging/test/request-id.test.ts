// One request id per upload, taken from X-Request-Id or generated, echoed to the client and
// found on the lines of the API and of the optimizer it called. (The queued-job path, through
// the worker, is checked in json-lines.test.ts.)
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { freshRequestId, ofRequest, waitForLines } from './log-lines.ts';

let svc: RunningService;
let image: Buffer;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
  image = await photoJpeg(640, 480);
});
afterAll(() => svc?.stopAll());

/** An upload that reaches the optimizer (a text no other test uses: a cache miss). */
async function uploadWith(headers: Record<string, string>, wmText: string) {
  const response = await upload(svc.apiUrl, { image, wmText, headers, signal: AbortSignal.timeout(10_000) });
  expect(response.status, `the upload answered ${response.status}: ${response.body.toString().slice(0, 200)}`).toBe(200);
  expect(response.headers.get('x-cache'), 'the upload should have been a cache miss, which calls the optimizer').toBe('MISS');
  return response;
}

/** Both processes logged at least one line with this request id. */
async function expectLinesOf(requestId: string): Promise<void> {
  await waitForLines(svc, 'api', `line with "request_id": "${requestId}" (bind it on a child logger for the request)`, ofRequest(requestId));
  await waitForLines(
    svc,
    'optimizer',
    `line with "request_id": "${requestId}": the API should send X-Request-Id to the optimizer, and the optimizer bind it like the API`,
    ofRequest(requestId),
  );
}

describe('request id', () => {
  it('03.request-id echoes a well-formed X-Request-Id and puts it on the api and optimizer lines of that upload', async () => {
    const requestId = freshRequestId('given');
    const response = await uploadWith({ 'x-request-id': requestId }, `request id ${requestId}`);
    expect(response.headers.get('x-request-id'), 'the response should echo the X-Request-Id the client sent').toBe(requestId);
    await expectLinesOf(requestId);
  });

  it('03.request-id generates an id when none is sent, answers it, and logs it in both processes', async () => {
    const first = await uploadWith({}, `generated id ${Date.now()}`);
    const generated = first.headers.get('x-request-id');
    expect(generated, 'a response to a request without X-Request-Id should carry a generated one').toBeTruthy();
    await expectLinesOf(generated!);
    const second = await uploadWith({}, `generated id ${Date.now()} again`);
    expect(second.headers.get('x-request-id'), 'two requests got the same generated id').not.toBe(generated);
  });

  it('03.request-id replaces a malformed X-Request-Id instead of echoing it', async () => {
    // Too long, with spaces and quotes: it would end up in every line and downstream header.
    const malformed = `x ${'"quoted" '.repeat(30)}`;
    const response = await uploadWith({ 'x-request-id': malformed }, `malformed id ${Date.now()}`);
    const answered = response.headers.get('x-request-id');
    expect(answered, 'the response should still carry a request id').toBeTruthy();
    expect(answered, 'the malformed X-Request-Id was echoed back: accept only a short token (letters, digits, - _ . :) and generate one otherwise').not.toBe(malformed);
    await expectLinesOf(answered!);
  });
});
