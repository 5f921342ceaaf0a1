// The hit rates of lab 09's README, LRU against the TinyLFU idea, on key streams like the
// service's (no server needed):
//
//   node labs/09-caching/measure/lru-vs-tinylfu.ts [--keys 100000] [--size 1000] [--requests 1000000]
//
// zipf         requests over --keys keys, key k drawn with probability ∝ 1/(k+1)^0.9: a few
//              hot images, a long tail (what a popular page's images look like);
// zipf + scans the same, with a scan of 5 × --size keys never seen again after every 10 × --size
//              requests (a crawler, a batch export): LRU lets each scan evict the hot keys;
// uniform      every key as likely: no policy can do better than size / keys.
//
// Both caches are lru-cache with room for --size entries. TinyLFU puts an admission filter in
// front: a count-min sketch (4 rows of 8 × size counters, halved every 10 × size requests, so
// old popularity fades) estimates how often each key was asked for; a new key gets in only if it
// was asked for more often than the entry it would evict. Caffeine (Java) and ristretto (Go)
// build W-TinyLFU on this idea (they add a small LRU window for new keys).
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LRUCache } from 'lru-cache';
import { prng } from '../../../shared/fixtures/images.ts';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    size: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '1000000' },
  },
});
const count = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`lru-vs-tinylfu: --${name} must be a whole number ≥ 1 (got ${values[name]})`);
    process.exit(2);
  }
  return n;
};
const KEYS = count('keys');
const SIZE = count('size');
const REQUESTS = count('requests');

/** Key indexes drawn with probability ∝ 1/(k+1)^s, by binary search in the cumulative weights. */
function zipf(keys: number, s: number, next: () => number): () => number {
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let k = 0; k < keys; k++) cumulative[k] = total += 1 / (k + 1) ** s;
  return () => {
    const target = next() * total;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function* stream(kind: 'zipf' | 'zipf + scans' | 'uniform'): Generator<string> {
  const next = prng(42); // seeded: every run and both policies see the same stream
  const draw = kind === 'uniform' ? () => Math.floor(next() * KEYS) : zipf(KEYS, 0.9, next);
  let scanned = 0;
  for (let i = 0; i < REQUESTS; i++) {
    if (kind === 'zipf + scans' && i > 0 && i % (10 * SIZE) === 0) {
      for (let j = 0; j < 5 * SIZE; j++) yield `scan-${scanned++}`;
    }
    yield `key-${draw()}`;
  }
}

/** A count-min sketch of 4 rows: never under-counts, over-counts by collisions only. */
function countMinSketch(width: number, resetEvery: number) {
  const rows = Array.from({ length: 4 }, () => new Uint8Array(width));
  let added = 0;
  const slots = (key: string) => {
    const digest = createHash('sha1').update(key).digest();
    return rows.map((_, row) => digest.readUInt32LE(row * 4) % width);
  };
  return {
    add(key: string) {
      slots(key).forEach((slot, row) => {
        if (rows[row]![slot]! < 255) rows[row]![slot]!++;
      });
      if (++added === resetEvery) {
        added = 0;
        for (const row of rows) for (let i = 0; i < row.length; i++) row[i]! >>>= 1;
      }
    },
    estimate: (key: string) => Math.min(...slots(key).map((slot, row) => rows[row]![slot]!)),
  };
}

function hitRate(kind: Parameters<typeof stream>[0], admission: boolean): number {
  const cache = new LRUCache<string, true>({ max: SIZE });
  const sketch = countMinSketch(8 * SIZE, 10 * SIZE);
  let hits = 0;
  let total = 0;
  for (const key of stream(kind)) {
    total++;
    if (admission) sketch.add(key);
    if (cache.get(key)) {
      hits++;
      continue;
    }
    if (admission && cache.size >= SIZE) {
      const victim = cache.rkeys().next().value!; // the least recently used entry
      if (sketch.estimate(key) <= sketch.estimate(victim)) continue;
    }
    cache.set(key, true);
  }
  return hits / total;
}

console.log(`${REQUESTS} requests over ${KEYS} keys, room for ${SIZE} (${((SIZE / KEYS) * 100).toFixed(1)} % of the keys)\n`);
console.log('stream          LRU      TinyLFU');
for (const kind of ['zipf', 'zipf + scans', 'uniform'] as const) {
  const lru = hitRate(kind, false);
  const tinyLfu = hitRate(kind, true);
  console.log(`${kind.padEnd(14)} ${(lru * 100).toFixed(1).padStart(5)} %  ${(tinyLfu * 100).toFixed(1).padStart(6)} %`);
}
