// Reusable upload records (Go's sync.Pool idea): the bytes of an upload and its form fields,
// kept between requests so that the optimizer does not allocate a new multi-megabyte buffer
// for every image it receives.

import type { ImageFormFields } from '../lib/image-form.ts';

export class PooledUpload {
  #bytes: Buffer;
  #length = 0;
  /** The form's text fields, filled by the reader. */
  readonly fields: ImageFormFields = {};

  constructor(capacity: number) {
    this.#bytes = Buffer.allocUnsafe(capacity);
  }

  get capacity(): number {
    return this.#bytes.length;
  }

  /** Appends `chunk` after the bytes already written. */
  write(chunk: Uint8Array): void {
    // Exactly the room needed, so no byte is wasted.
    const grown = Buffer.allocUnsafe(this.#length + chunk.length);
    this.#bytes.copy(grown, 0, 0, this.#length);
    grown.set(chunk, this.#length);
    this.#bytes = grown;
    this.#length = grown.length;
  }

  /** The bytes written since the record was acquired. */
  view(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }

  reset(): void {
    this.#length = 0;
  }
}

export interface UploadPoolOptions {
  /** Capacity of a new record's buffer, in bytes. */
  initialBytes: number;
  /** Records that grew beyond this many bytes are dropped on release, not kept. */
  maxRetainedBytes: number;
  /** Idle records kept for reuse. */
  maxIdle: number;
}

export class UploadPool {
  readonly #idle: PooledUpload[] = [];
  readonly #options: UploadPoolOptions;

  constructor(options: UploadPoolOptions) {
    this.#options = options;
  }

  acquire(): PooledUpload {
    return this.#idle.pop() ?? new PooledUpload(this.#options.initialBytes);
  }

  release(upload: PooledUpload): void {
    upload.reset();
    if (upload.capacity > this.#options.maxRetainedBytes || this.#idle.length >= this.#options.maxIdle) return;
    this.#idle.push(upload);
  }
}
