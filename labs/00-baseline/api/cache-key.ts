// The cache key: SHA-256 of the image bytes, then the watermark text, "|", the position.
// The same picture with another watermark is another result, but the same original.
import type { Hash } from 'node:crypto';
import type { WatermarkParams } from '../lib/watermark-params.ts';

/** `imageDigest` holds the hash state after the image bytes; it is copied, not consumed. */
export function cacheKeyFor(imageDigest: Hash, params: WatermarkParams): string {
  return imageDigest.copy().update(`${params.text}|${params.position}`).digest('hex');
}
