import { afterEach, describe, expect, it, vi } from 'vitest';
import { LabMetaSchema } from '../lab-meta.ts';
import { watchCriteria } from '../watch.ts';
import { criteriaPattern, isServiceChange, saveBatcher, selectedCriteria, type SaveBatch } from '../watch-saves.ts';
import { labJson } from './fixture.ts';

const meta = LabMetaSchema.parse(JSON.parse(labJson('04', 'Drain', ['drain', 'worker-stop', 'timeout'])));

afterEach(() => vi.useRealTimers());

describe('which changes in workspace/ rerun the tests', () => {
  it('takes the service files a save touches', () => {
    for (const path of ['api/server.ts', 'lib/config.ts', 'web/src/App.tsx', 'package.json', '.env']) expect(isServiceChange(path), path).toBe(true);
  });

  it('ignores installed and built output, the state file, and editor debris', () => {
    const ignored = ['node_modules/x/index.js', 'web/node_modules/.vite/deps.js', 'dist/app.js', 'web/dist/index.html', '.lab-state.json',
      'api/.server.ts.swp', 'api/server.ts~', 'api/.#server.ts', 'api/4913', 'api/#server.ts#', ''];
    for (const path of ignored) expect(isServiceChange(path), path).toBe(false);
    // Only the top-level state file is lab's; a file of that name deeper down is the learner's.
    expect(isServiceChange('api/.lab-state.json')).toBe(true);
  });
});

describe('a burst of changes becomes one rerun', () => {
  function collect(quietMs = 50, maxWaitMs = 300) {
    vi.useFakeTimers();
    const batches: SaveBatch[] = [];
    const batcher = saveBatcher((batch) => batches.push(batch), quietMs, maxWaitMs, () => Date.now());
    return { batches, batcher };
  }

  it('flushes once no change came for the quiet period, with each path once and the first change time', () => {
    const { batches, batcher } = collect();
    const t0 = Date.now();
    batcher.add('api/server.ts');
    vi.advanceTimersByTime(30);
    batcher.add('api/server.ts');
    batcher.add('lib/config.ts');
    vi.advanceTimersByTime(49);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([{ paths: ['api/server.ts', 'lib/config.ts'], firstAt: t0 }]);
  });

  it('does not wait past the longest wait while changes keep coming', () => {
    const { batches, batcher } = collect(50, 120);
    for (let i = 0; i < 10; i++) {
      batcher.add(`f${i}.ts`);
      vi.advanceTimersByTime(20);
    }
    expect(batches).toHaveLength(1);
    // 120 ms after the first change, although the last came 20 ms before.
    expect(batches[0]!.paths).toEqual(['f0.ts', 'f1.ts', 'f2.ts', 'f3.ts', 'f4.ts', 'f5.ts']);
  });

  it('starts a new batch after a flush, and close() drops what is pending', () => {
    const { batches, batcher } = collect();
    batcher.add('a.ts');
    vi.advanceTimersByTime(50);
    batcher.add('b.ts');
    vi.advanceTimersByTime(50);
    batcher.add('c.ts');
    batcher.close();
    vi.advanceTimersByTime(500);
    expect(batches.map((batch) => batch.paths)).toEqual([['a.ts'], ['b.ts']]);
  });
});

describe('-t selects criteria', () => {
  it('takes repeated and comma-separated ids, once each', () => {
    expect(selectedCriteria(['04.drain', '04.timeout, 04.drain'], meta, '04')).toEqual(['04.drain', '04.timeout']);
    expect(selectedCriteria([], meta, '04')).toEqual([]);
  });

  it('refuses an id the lab does not have, listing the ones it has', () => {
    expect(() => selectedCriteria(['04.drian'], meta, '04')).toThrow('lab 04 has no criterion 04.drian');
    try {
      selectedCriteria(['04.drian'], meta, '04');
    } catch (error) {
      expect((error as { fix?: string }).fix).toBe('use its ids: 04.drain, 04.worker-stop, 04.timeout');
    }
  });

  it('matches a title that starts with the id as a whole word', () => {
    const pattern = new RegExp(criteriaPattern(['04.drain', '04.timeout']));
    expect(pattern.test('SIGTERM with requests in flight 04.drain the API refuses new connections')).toBe(true);
    expect(pattern.test('04.timeout with OPTIMIZER_TIMEOUT_MS=500 answers 202')).toBe(true);
    expect(pattern.test('04.drain-deadline cuts the upload')).toBe(false);
    expect(pattern.test('04xdrain')).toBe(false);
  });

  it('belongs to --watch, which runs workspace/ only', () => {
    expect(watchCriteria({ watch: true, criterion: ['04.drain'] })).toEqual(['04.drain']);
    expect(watchCriteria({ watch: true, criterion: '04.drain' })).toEqual(['04.drain']);
    expect(watchCriteria({})).toEqual([]);
    expect(() => watchCriteria({ criterion: ['04.drain'] })).toThrow('-t selects criteria for --watch only');
    expect(() => watchCriteria({ watch: true, solution: true })).toThrow('--watch reruns on saves in workspace/ and does not combine with --solution');
    expect(() => watchCriteria({ watch: true, cheat: '04.drain' })).toThrow('does not combine with --cheat');
  });
});
