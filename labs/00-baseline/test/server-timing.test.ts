// The web page's Server-Timing parser and the pipeline rows it draws, taken from the tree
// under test (LAB_TREE), like every other test of this folder.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

type ServerTimingModule = typeof import('../web/src/server-timing.ts');
type PipelineModule = typeof import('../web/src/pipeline.ts');

const tree = inject('tree');
const { parseServerTiming } = (await import(join(tree, 'web/src/server-timing.ts'))) as ServerTimingModule;
const { buildPipeline, formatMs } = (await import(join(tree, 'web/src/pipeline.ts'))) as PipelineModule;

describe('parseServerTiming', () => {
  it('reads every metric with its duration, in the order sent', () => {
    expect(parseServerTiming('redis;dur=1.2, minio;dur=14, optimizer;dur=182.5, gzip;dur=0, total;dur=199')).toEqual([
      { name: 'redis', durationMs: 1.2, description: null },
      { name: 'minio', durationMs: 14, description: null },
      { name: 'optimizer', durationMs: 182.5, description: null },
      { name: 'gzip', durationMs: 0, description: null },
      { name: 'total', durationMs: 199, description: null },
    ]);
  });

  it('reads quoted descriptions, with escapes, commas and semicolons inside the quotes', () => {
    expect(parseServerTiming('minio;desc="store, dedup; \\"by hash\\"";dur=3,gzip;desc=skipped')).toEqual([
      { name: 'minio', durationMs: 3, description: 'store, dedup; "by hash"' },
      { name: 'gzip', durationMs: null, description: 'skipped' },
    ]);
  });

  it('tolerates spaces around separators and upper-case parameter names', () => {
    expect(parseServerTiming('  redis ; DUR = 2.5 ;  Desc = "GET"  ,total;dur=9 ')).toEqual([
      { name: 'redis', durationMs: 2.5, description: 'GET' },
      { name: 'total', durationMs: 9, description: null },
    ]);
  });

  it('keeps the first dur and desc of a metric, as browsers do', () => {
    expect(parseServerTiming('redis;dur=1;dur=99;desc=a;desc=b')).toEqual([
      { name: 'redis', durationMs: 1, description: 'a' },
    ]);
  });

  it('drops entries without a valid name and ignores a dur that is not a number', () => {
    expect(parseServerTiming(', ;dur=3, "quoted";dur=1, redis;dur=abc, minio;dur=-4, total;dur')).toEqual([
      { name: 'redis', durationMs: null, description: null },
      { name: 'minio', durationMs: null, description: null },
      { name: 'total', durationMs: null, description: null },
    ]);
  });

  it('returns nothing for a missing or empty header', () => {
    expect(parseServerTiming(null)).toEqual([]);
    expect(parseServerTiming(undefined)).toEqual([]);
    expect(parseServerTiming('')).toEqual([]);
  });

  it('survives an unterminated quoted string', () => {
    expect(parseServerTiming('redis;dur=2;desc="never closed, total;dur=5')).toEqual([
      { name: 'redis', durationMs: 2, description: 'never closed, total;dur=5' },
    ]);
  });
});

describe('buildPipeline', () => {
  const rowsOf = (header: string) =>
    buildPipeline(parseServerTiming(header)).map(({ name, durationMs, widthPercent }) => [name, durationMs, widthPercent]);

  it('draws the five steps in pipeline order, each as a share of the total', () => {
    expect(rowsOf('total;dur=200, optimizer;dur=150, redis;dur=2, minio;dur=40, gzip;dur=8')).toEqual([
      ['redis', 2, 1],
      ['minio', 40, 20],
      ['optimizer', 150, 75],
      ['gzip', 8, 4],
      ['total', 200, 100],
    ]);
  });

  it('marks a step the header leaves out, or describes as skipped, as skipped', () => {
    expect(rowsOf('redis;dur=1, gzip;desc="skipped: already compressed";dur=0, total;dur=4')).toEqual([
      ['redis', 1, 25],
      ['minio', null, 0],
      ['optimizer', null, 0],
      ['gzip', null, 0],
      ['total', 4, 100],
    ]);
  });

  it('adds a metric it does not know before the total, and scales to the longest bar without a total', () => {
    expect(rowsOf('redis;dur=5, queue;dur=20')).toEqual([
      ['redis', 5, 25],
      ['minio', null, 0],
      ['optimizer', null, 0],
      ['gzip', null, 0],
      ['queue', 20, 100],
      ['total', null, 0],
    ]);
  });

  it("keeps the API's description of a step as its note, without a leading \"skipped\"", () => {
    const header = 'redis;dur=1;desc="miss", minio;dur=0.0;desc="skipped", gzip;dur=0;desc="skipped: not compressible"';
    expect(buildPipeline(parseServerTiming(header)).map((row) => row.note)).toEqual([
      'miss',
      null,
      null,
      'not compressible',
      null,
    ]);
  });

  it('draws no bar width when every duration is zero', () => {
    expect(rowsOf('redis;dur=0, total;dur=0').map((row) => row[2])).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('formatMs', () => {
  it('prints enough digits to compare steps', () => {
    expect([0, 0.354, 0.999, 4.25, 99.96, 182.4, 999.7, 1234].map(formatMs)).toEqual([
      '0.00 ms', '0.35 ms', '1.0 ms', '4.3 ms', '100 ms', '182 ms', '1.00 s', '1.23 s',
    ]);
  });
});
