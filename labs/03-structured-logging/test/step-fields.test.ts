// One line per pipeline step with typed fields, and a summary line per request: enough to ask
// the logs questions ("which uploads took more than 500 ms?") by field, not by regex. The
// numbers are checked against the truth outside the service: the image sent, the object MinIO
// holds, the value Redis holds, the bytes on the wire and the time the client waited.
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { jsonLines, shown, tail, type LogLine } from './log-lines.ts';
import { bounded, wireUpload, type WireAnswer, type WireUpload } from './wire.ts';

let svc: RunningService;
let redis: Redis;
let s3: Client;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
  const { redis: redisInfo, minio } = inject('stack');
  redis = new Redis(redisInfo.url, { lazyConnect: true, connectTimeout: 5_000, commandTimeout: 5_000, maxRetriesPerRequest: 1 });
  await bounded('the test connection to Redis', redis.connect());
  const endpoint = new URL(minio.endpoint);
  s3 = new Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey });
});
afterAll(async () => {
  redis?.disconnect();
  await svc?.stopAll();
});

const pipelineSteps = ['redis', 'minio', 'optimizer', 'gzip'] as const;

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A text and a picture no earlier run used, so neither a cache nor a constant can answer. */
const fresh = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;
const freshPhoto = () => {
  const width = 1200 + 8 * Math.floor(Math.random() * 60);
  return photoJpeg(width, Math.round((width * 3) / 4));
};

/** The request-summary line of an upload: no step, the path, a numeric total duration_ms. */
function isUploadSummary(line: LogLine): boolean {
  const path = String(line.path ?? line.url ?? '');
  return line.step === undefined && path.startsWith('/upload') && isNumber(line.duration_ms);
}

interface Collected {
  answer: WireAnswer;
  /** The api's lines written for this upload (the test sends one request at a time). */
  lines: LogLine[];
  summary: LogLine;
}

/**
 * Uploads, then collects the api's new lines until the upload's summary line is among them.
 * An upload is expected to succeed, or with `refused`, to be answered with a 4xx.
 */
async function uploadAndCollect(upload: WireUpload, { refused = false } = {}): Promise<Collected> {
  const before = jsonLines(svc, 'api').length;
  const answer = await wireUpload(svc.apiUrl, upload);
  if (refused) expect(answer.status, `a refused upload answered ${answer.status}`).toBeGreaterThanOrEqual(400);
  else expect(answer.status, `the upload answered ${answer.status}: ${answer.body.toString().slice(0, 200)}`).toBe(200);
  const deadline = Date.now() + 3_000;
  for (;;) {
    const lines = jsonLines(svc, 'api').slice(before);
    const summary = lines.find(isUploadSummary);
    if (summary) return { answer, lines, summary };
    if (Date.now() > deadline) {
      expect.fail(
        `the api wrote no request-summary line for the upload within 3 s: one line without "step", with "path": "/upload" and a numeric total "duration_ms". Its last lines:\n${tail(svc.logs('api'))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The lines of one step, with numeric duration_ms and bytes; at least one. */
function stepLines(collected: Collected, step: string, what: string): LogLine[] {
  const lines = collected.lines.filter((line) => line.step === step);
  expect(lines.length, `no api line has "step": "${step}" for ${what} (lines for this upload: ${collected.lines.length})`).toBeGreaterThan(0);
  for (const line of lines) {
    if (!isNumber(line.duration_ms) || line.duration_ms < 0) {
      expect.fail(`the ${step} step line's duration_ms is ${JSON.stringify(line.duration_ms)}: it must be a number of milliseconds (not a string like "12ms"), so that .duration_ms > 500 works: ${shown(line)}`);
    }
    if (!isNumber(line.bytes) || line.bytes < 0) {
      expect.fail(`the ${step} step line's bytes is ${JSON.stringify(line.bytes)}: give every step line the bytes it read or wrote, as a number (0 when none): ${shown(line)}`);
    }
  }
  return lines;
}

/** The one Redis line that says whether the lookup found the image. */
function lookupOf(collected: Collected, expected: 'hit' | 'miss', what: string): LogLine {
  const lookups = stepLines(collected, 'redis', what).filter((line) => line.cache !== undefined);
  expect(lookups.map((line) => line.cache), `the Redis lookup of ${what} should say "cache": "${expected}"`).toEqual([expected]);
  return lookups[0]!;
}

function expectBytes(line: LogLine, bytes: number, what: string): void {
  expect(line.bytes, `the ${String(line.step)} line says "bytes": ${String(line.bytes)}, but ${what} is ${bytes} bytes: ${shown(line)}`).toBe(bytes);
}

/** A step that did the work took time: a duration_ms of 0 was written, not measured. */
function expectMeasured(line: LogLine): void {
  expect(line.duration_ms as number, `the ${String(line.step)} step ran, yet its line says "duration_ms": ${String(line.duration_ms)}; time it: ${shown(line)}`).toBeGreaterThan(0);
}

/** The gzip line agrees with the wire: the compressed size when the answer went out gzipped, else 0. */
function expectGzipLine(collected: Collected, what: string): void {
  const gzipped = collected.answer.headers['content-encoding'] === 'gzip';
  for (const line of stepLines(collected, 'gzip', what)) {
    expectBytes(line, gzipped ? collected.answer.body.length : 0, gzipped ? 'the gzipped body on the wire' : 'what gzip wrote for an answer sent uncompressed');
    if (gzipped) expectMeasured(line);
  }
}

/** The step lines fit in the request, the request in what the client waited, and they add up. */
function expectConsistentTimes(collected: Collected): void {
  const total = collected.summary.duration_ms as number;
  const waited = collected.answer.elapsedMs;
  // The server's total is most of the client's wait on a multi-hundred-ms miss; it can pass the
  // wait by the server's event-loop lag, since the summary is written once the socket has let go.
  expect(total, `the summary says ${total} ms, well over the ${waited.toFixed(1)} ms the client waited for the whole answer`).toBeLessThanOrEqual(waited * 1.25);
  expect(total, `the summary says ${total} ms where the client waited ${waited.toFixed(1)} ms: is duration_ms the request's total, in milliseconds?`).toBeGreaterThanOrEqual(waited * 0.25);
  const durations = collected.lines.filter((line) => line.step !== undefined).map((line) => line.duration_ms as number);
  const longest = Math.max(...durations);
  const sum = durations.reduce((a, b) => a + b, 0);
  expect(longest, `a step line says ${longest} ms, more than the request's total duration_ms ${total}`).toBeLessThanOrEqual(total + 1);
  // Steps may overlap (a later lab runs two at once), hence twice the total as the ceiling.
  expect(sum, `the step lines add up to ${sum.toFixed(1)} ms, more than twice the request's ${total} ms: are they timed around something else?`).toBeLessThanOrEqual(2 * total + 1);
  expect(sum, `the step lines add up to ${sum.toFixed(1)} ms of a ${total} ms cache miss: the optimizer call alone takes most of it; are the steps timed?`).toBeGreaterThanOrEqual(total * 0.5);
}

describe('step lines', () => {
  it('03.step-fields logs one line per step (redis, minio, optimizer, gzip) whose duration_ms, bytes and cache outcome match what happened', async () => {
    const image = await freshPhoto();
    const objectKey = `originals/${createHash('sha256').update(image).digest('hex')}`;
    const wmText = fresh('step fields');

    // 1. A first upload: a miss, the original stored in MinIO, the result stored in Redis.
    const miss = await uploadAndCollect({ image, wmText });
    expect(miss.answer.headers['x-cache'], 'a first upload of a fresh picture and text should be a cache miss').toBe('MISS');
    for (const step of pipelineSteps) stepLines(miss, step, 'a cache miss, which goes through every step');
    const cacheKey = String(miss.answer.headers['x-cache-key']);
    const stored = await bounded('Redis GET of the cached image', redis.getBuffer(`${svc.prefix}img:${cacheKey}`));
    expect(stored?.equals(miss.answer.body), `Redis holds no copy of the answer under ${svc.prefix}img:${cacheKey}`).toBe(true);
    const original = await bounded('MinIO stat of the stored original', s3.statObject(svc.bucket, objectKey));
    expect(original.size, 'MinIO holds the original with another size than the upload').toBe(image.length);

    expectBytes(lookupOf(miss, 'miss', 'a first upload'), 0, 'what a lookup that found nothing read');
    const [put, ...otherMinio] = stepLines(miss, 'minio', 'a cache miss');
    expectBytes(put!, original.size, `the original it stored in MinIO (${objectKey})`);
    const optimizerLines = stepLines(miss, 'optimizer', 'a cache miss');
    expectBytes(optimizerLines.at(-1)!, miss.answer.body.length, "the optimizer's image (the answer's body)");
    const redisWrites = miss.lines.filter((line) => line.step === 'redis' && line.cache === undefined);
    expect(redisWrites.map((line) => line.bytes), `no Redis line says it stored the ${stored!.length} bytes of the result`).toContain(stored!.length);
    for (const line of [...miss.lines.filter((line) => line.step === 'redis'), put!, ...otherMinio, ...optimizerLines]) expectMeasured(line);
    expectGzipLine(miss, 'a cache miss');
    expectConsistentTimes(miss);

    // 2. The same upload twice more: Redis holds the answer, so each lookup hits and reads it.
    for (const time of ['second', 'third']) {
      const hit = await uploadAndCollect({ image, wmText });
      expect(hit.answer.headers['x-cache'], `a ${time} identical upload should be answered from Redis`).toBe('HIT');
      const hitLookup = lookupOf(hit, 'hit', `a ${time} identical upload`);
      expectBytes(hitLookup, stored!.length, `the image Redis holds under ${svc.prefix}img:${cacheKey}`);
      expectMeasured(hitLookup);
      expectGzipLine(hit, 'a cache hit');
    }

    // 3. The same picture (already in MinIO) with another text: a miss again. Miss, hit, hit,
    // miss: no order of answers fixed in advance (alternating, first-miss-then-hit) fits.
    const again = await uploadAndCollect({ image, wmText: fresh('step fields, other text') });
    expect(again.answer.headers['x-cache'], 'the same picture with a new text should be a cache miss').toBe('MISS');
    lookupOf(again, 'miss', 'the same picture with a new text');
    expectBytes(stepLines(again, 'optimizer', 'a cache miss').at(-1)!, again.answer.body.length, "the optimizer's image (the answer's body)");
  });

  it('03.step-fields measures the gzip step on a compressed answer: its bytes are the gzipped body on the wire', async () => {
    // Two error answers of different sizes, compressed because the client accepts gzip.
    const refusals = [
      { image: Buffer.from(`${fresh('not an image')}\n`.repeat(40)), wmText: fresh('gzip') },
      { wmText: fresh('no file at all, gzip') },
    ];
    for (const refusal of refusals) {
      const collected = await uploadAndCollect({ ...refusal, headers: { 'accept-encoding': 'gzip' } }, { refused: true });
      const { status, headers } = collected.answer;
      expect(headers['content-encoding'], `the ${status} JSON answer went out uncompressed although the client accepts gzip`).toBe('gzip');
      expectGzipLine(collected, `a ${status} answer`);
    }
  });

  it('03.step-fields answers "which uploads were slower than N ms?" by filtering the summary lines on path and duration_ms', async () => {
    // A cache miss (the optimizer runs: hundreds of ms) and a hit (a few ms) of one photo.
    const image = await freshPhoto();
    const wmText = fresh('slower than');
    const slow = await uploadAndCollect({ image, wmText });
    const fast = await uploadAndCollect({ image, wmText });
    expect([slow.answer.headers['x-cache'], fast.answer.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    const slowMs = slow.summary.duration_ms as number;
    const fastMs = fast.summary.duration_ms as number;
    expect(fastMs, `the cache hit's summary says ${fastMs} ms and the miss's ${slowMs} ms: is duration_ms the request's total?`).toBeLessThan(slowMs);
    expect(fastMs, `the cache hit's summary says ${fastMs} ms: a request takes time`).toBeGreaterThan(0);

    // The query, as jq would run it over the file:
    //   jq -c 'select(.path == "/upload" and .duration_ms > N)'
    const threshold = (slowMs + fastMs) / 2;
    const answer = [...slow.lines, ...fast.lines].filter((line) => isUploadSummary(line) && (line.duration_ms as number) > threshold);
    expect(answer, `uploads slower than ${threshold.toFixed(0)} ms: expected only the cache miss (${slowMs} ms), not the hit (${fastMs} ms)`).toEqual([slow.summary]);
  });
});
