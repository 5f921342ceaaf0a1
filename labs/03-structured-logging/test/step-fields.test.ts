// One line per pipeline step with typed fields, and a summary line per request: enough to ask
// the logs questions ("which uploads took more than 500 ms?") by field, not by regex.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { serverTiming, upload, type UploadResult } from '../../../shared/harness/upload.ts';
import { jsonLines, quote, tail, type LogLine } from './log-lines.ts';

let svc: RunningService;
beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack: inject('stack') });
});
afterAll(() => svc?.stopAll());

const pipelineSteps = ['redis', 'minio', 'optimizer', 'gzip'] as const;

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The request-summary line of an upload: no step, the path, a numeric total duration_ms. */
function isUploadSummary(line: LogLine): boolean {
  const path = String(line.path ?? line.url ?? '');
  return line.step === undefined && path.startsWith('/upload') && isNumber(line.duration_ms);
}

interface Collected {
  response: UploadResult;
  /** The api's lines written for this upload (the test sends one request at a time). */
  lines: LogLine[];
  summary: LogLine;
}

/** Uploads, then collects the api's new lines until the upload's summary line is among them. */
async function uploadAndCollect(image: Buffer, wmText: string): Promise<Collected> {
  const before = jsonLines(svc, 'api').length;
  const response = await upload(svc.apiUrl, { image, wmText, signal: AbortSignal.timeout(10_000) });
  expect(response.status, `the upload answered ${response.status}: ${response.body.toString().slice(0, 200)}`).toBe(200);
  const deadline = Date.now() + 3_000;
  for (;;) {
    const lines = jsonLines(svc, 'api').slice(before);
    const summary = lines.find(isUploadSummary);
    if (summary) return { response, lines, summary };
    if (Date.now() > deadline) {
      expect.fail(
        `the api wrote no request-summary line for the upload within 3 s: one line without "step", with "path": "/upload" and a numeric total "duration_ms". Its last lines:\n${tail(svc.logs('api'))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('step lines', () => {
  it('03.step-fields logs one line per step (redis, minio, optimizer, gzip) with a numeric duration_ms, bytes and the cache outcome', async () => {
    const image = await photoJpeg(1600, 1200);
    const miss = await uploadAndCollect(image, 'step fields');
    expect(miss.response.headers.get('x-cache')).toBe('MISS');

    for (const step of pipelineSteps) {
      const lines = miss.lines.filter((line) => line.step === step);
      expect(lines.length, `no api line has "step": "${step}" for an upload that went through it (lines for this upload: ${miss.lines.length})`).toBeGreaterThan(0);
      for (const line of lines) {
        if (!isNumber(line.duration_ms) || line.duration_ms < 0) {
          expect.fail(`the ${step} step line's duration_ms is ${JSON.stringify(line.duration_ms)}: it must be a number of milliseconds (not a string like "12ms"), so that .duration_ms > 500 works: ${quote(JSON.stringify(line))}`);
        }
        if (!isNumber(line.bytes) || line.bytes < 0) {
          expect.fail(`the ${step} step line's bytes is ${JSON.stringify(line.bytes)}: give every step line the bytes it read or wrote, as a number (0 when none): ${quote(JSON.stringify(line))}`);
        }
      }
    }
    const lookup = miss.lines.filter((line) => line.step === 'redis' && line.cache !== undefined);
    expect(lookup.map((line) => line.cache), 'the Redis lookup of a first upload should say "cache": "miss"').toEqual(['miss']);

    // The numbers are the real timings, in milliseconds: the optimizer step agrees with the
    // Server-Timing header of the same answer, and the steps fit within the request's total.
    const timing = serverTiming(miss.response.headers.get('server-timing'));
    const optimizerLogged = miss.lines.filter((line) => line.step === 'optimizer').reduce((sum, line) => sum + (line.duration_ms as number), 0);
    const optimizerTimed = timing.get('optimizer') ?? 0;
    if (Math.abs(optimizerLogged - optimizerTimed) > 5 + optimizerTimed * 0.5) {
      expect.fail(`the optimizer step lines add up to ${optimizerLogged} "ms" where Server-Timing says ${optimizerTimed.toFixed(1)} ms: are they seconds, microseconds, or timed around something else?`);
    }
    // Each step fits in the request (steps may overlap: a later lab runs two at once).
    const longest = Math.max(...miss.lines.filter((line) => line.step !== undefined).map((line) => line.duration_ms as number));
    const total = miss.summary.duration_ms as number;
    expect(longest, `a step line says ${longest} ms, more than the request's total duration_ms ${total}`).toBeLessThanOrEqual(total * 1.1 + 5);

    // The same upload again: answered from Redis, and the lookup says so.
    const hit = await uploadAndCollect(image, 'step fields');
    expect(hit.response.headers.get('x-cache')).toBe('HIT');
    const hitLookup = hit.lines.filter((line) => line.step === 'redis' && line.cache !== undefined);
    expect(hitLookup.map((line) => line.cache), 'the Redis lookup of a repeated upload should say "cache": "hit"').toEqual(['hit']);
  });

  it('03.step-fields answers "which uploads were slower than N ms?" by filtering the summary lines on path and duration_ms', async () => {
    // A cache miss (the optimizer runs: hundreds of ms) and a hit (a few ms) of one photo.
    const image = await photoJpeg(2000, 1500);
    const slow = await uploadAndCollect(image, 'slower than');
    const fast = await uploadAndCollect(image, 'slower than');
    expect([slow.response.headers.get('x-cache'), fast.response.headers.get('x-cache')]).toEqual(['MISS', 'HIT']);
    const slowMs = slow.summary.duration_ms as number;
    const fastMs = fast.summary.duration_ms as number;
    expect(fastMs, `the cache hit's summary says ${fastMs} ms and the miss's ${slowMs} ms: is duration_ms the request's total?`).toBeLessThan(slowMs);

    // The query, as jq would run it over the file:
    //   jq -c 'select(.path == "/upload" and .duration_ms > N)'
    const threshold = (slowMs + fastMs) / 2;
    const answer = [...slow.lines, ...fast.lines].filter((line) => isUploadSummary(line) && (line.duration_ms as number) > threshold);
    expect(answer, `uploads slower than ${threshold.toFixed(0)} ms: expected only the cache miss (${slowMs} ms), not the hit (${fastMs} ms)`).toEqual([slow.summary]);
  });
});
