// Every name the processes share on Redis, RabbitMQ and MinIO, built in one place so the
// API and the worker can never disagree on a key.

/** Redis key of a finished image. */
export function imageKey(keyPrefix: string, cacheKey: string): string {
  return `${keyPrefix}img:${cacheKey}`;
}

/** Redis key of the marker a queued job leaves until its image is stored. */
export function jobKey(keyPrefix: string, cacheKey: string): string {
  return `${keyPrefix}job:${cacheKey}`;
}

/** The retry queue; the prefix isolates test runs sharing one broker. */
export function retryQueueName(queuePrefix: string): string {
  return `${queuePrefix}watermark_retry`;
}

/** MinIO object of an original, named by the SHA-256 of its bytes (so it deduplicates). */
export function originalObjectKey(imageHash: string): string {
  return `originals/${imageHash}`;
}

/** Cache keys and image hashes are lowercase hex SHA-256 digests. */
export function isDigest(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
