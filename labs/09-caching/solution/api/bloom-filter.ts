// A Bloom filter: a bit array and k hash functions that answer "certainly never added" or
// "perhaps added", in a fixed number of bits whatever the keys. Sized from the number of keys
// it should hold (n) and the false-positive rate wanted there (p):
//   bits   m = −n·ln p / (ln 2)²      (9.6 bits a key at p = 1 %)
//   hashes k = (m / n)·ln 2           (7 at p = 1 %)
// Past n keys the rate climbs: (1 − e^(−k·keys/m))^k, 15.7 % at 2n for p = 1 %.
import { createHash } from 'node:crypto';

export interface BloomFilter {
  add(key: string): void;
  /** False: the key was never added. True: it probably was (a false positive at rate p). */
  mightContain(key: string): boolean;
  readonly bits: number;
  readonly hashes: number;
}

export function createBloomFilter(expectedKeys: number, falsePositiveRate: number): BloomFilter {
  const bits = Math.max(8, Math.ceil((-expectedKeys * Math.log(falsePositiveRate)) / Math.LN2 ** 2));
  const hashes = Math.max(1, Math.round((bits / expectedKeys) * Math.LN2));
  const array = new Uint8Array(Math.ceil(bits / 8));

  // k positions from two 32-bit hashes (Kirsch–Mitzenmacher: h1 + i·h2 is as good as k hashes).
  function positions(key: string): number[] {
    const digest = createHash('sha256').update(key).digest();
    const h1 = digest.readUInt32LE(0);
    const h2 = (digest.readUInt32LE(4) | 1) >>> 0; // odd, so the k positions never collapse into one; >>> 0 keeps it unsigned
    return Array.from({ length: hashes }, (_, i) => (h1 + i * h2) % bits);
  }

  return {
    bits,
    hashes,
    add(key) {
      for (const bit of positions(key)) array[bit >>> 3]! |= 1 << (bit & 7);
    },
    mightContain(key) {
      return positions(key).every((bit) => (array[bit >>> 3]! & (1 << (bit & 7))) !== 0);
    },
  };
}
