// Receives an upload for the optimizer: the multipart form read into a pooled record, then
// handed to the route as the image's bytes and its watermark fields.
//
// Memory under a burst: the pooled record goes back to the pool as soon as the form is read,
// and the image waits for its worker as a copy the queue holds weakly, so a thousand waiting
// uploads never pin a thousand buffers.
import type { IncomingMessage } from 'node:http';
import { readImageForm, type ImageFormFields } from '../lib/image-form.ts';
import { UploadPool } from './buffer-pool.ts';

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
  const pool = new UploadPool({
    initialBytes: 4 * mebibyte, // a typical phone JPEG fits without growing
    maxRetainedBytes: 32 * mebibyte, // a rare huge upload is not pinned in memory forever
    maxIdle: concurrency * 2,
  });
  return async (req) => {
    const record = pool.acquire();
    try {
      const form = await readImageForm(req, record);
      Object.assign(record.fields, form.fields);
      const waiting = new WeakRef(Buffer.from(record.view()));
      return {
        fields: { ...record.fields },
        hasImage: form.hasImage,
        bytes() {
          const bytes = waiting.deref();
          if (!bytes) throw new Error('the upload was collected while it waited for a worker');
          return bytes;
        },
        release() {},
      };
    } finally {
      pool.release(record);
    }
  };
}
