// Originals in MinIO (S3), named by the hash of their bytes so the same picture is stored
// once whatever watermark it is asked for.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { unavailable } from './errors.ts';
import { originalObjectKey } from './names.ts';
import { dependencyStep } from './startup.ts';

export interface StorageOptions {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

export interface StoredOriginal {
  objectKey: string;
  /** False when the object already existed and the upload was skipped. */
  created: boolean;
}

export interface OriginalReader {
  stream: Readable;
  size: number;
  contentType: string;
}

export interface Storage {
  storeOriginal(imageHash: string, image: Buffer, contentType: string): Promise<StoredOriginal>;
  openOriginal(objectKey: string): Promise<OriginalReader>;
  /** Asks S3 whether the bucket exists (the readiness check); throws when it does not answer or the bucket is gone. */
  checkBucket(): Promise<void>;
  /** Closes the kept-alive connections to S3 (on shutdown, once nothing uses them). */
  close(): void;
}

/** Connects to S3, creating the bucket when it is missing; fails start-up when S3 is unreachable. */
export async function connectStorage(options: StorageOptions): Promise<Storage> {
  const endpoint = new URL(options.endpoint);
  // Its own agent rather than Node's global one, so that shutdown can close its connections.
  const agent = endpoint.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const client = new Client({
    transportAgent: agent,
    endPoint: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    useSSL: endpoint.protocol === 'https:',
    accessKey: options.accessKey,
    secretKey: options.secretKey,
  });
  const { bucket } = options;
  await dependencyStep(`S3 at ${options.endpoint}`, 'start MinIO or set S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY', async () => {
    if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket).catch(ignoreAlreadyOwned);
  });
  const failed = unavailable('STORAGE_UNAVAILABLE');

  return {
    async storeOriginal(imageHash, image, contentType) {
      const objectKey = originalObjectKey(imageHash);
      if (await exists(client, bucket, objectKey).catch(failed)) return { objectKey, created: false };
      await client.putObject(bucket, objectKey, image, image.length, { 'Content-Type': contentType }).catch(failed);
      return { objectKey, created: true };
    },

    async openOriginal(objectKey) {
      const stat = await client.statObject(bucket, objectKey);
      const stream = await client.getObject(bucket, objectKey);
      const contentType = String(stat.metaData['content-type'] ?? 'application/octet-stream');
      return { stream, size: stat.size, contentType };
    },

    async checkBucket() {
      if (!(await client.bucketExists(bucket))) throw new Error(`bucket ${bucket} does not exist`);
    },

    close() {
      agent.destroy();
    },
  };
}

async function exists(client: Client, bucket: string, objectKey: string): Promise<boolean> {
  try {
    await client.statObject(bucket, objectKey);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'NotFound' || code === 'NoSuchKey';
}

// Two processes starting together may both see the bucket missing; the loser's error is harmless.
function ignoreAlreadyOwned(error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
}
