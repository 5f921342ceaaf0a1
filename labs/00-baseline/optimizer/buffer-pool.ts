// Reusable byte buffers (Go's sync.Pool idea) for the uploads the optimizer assembles before
// handing them to sharp. sharp allocates its own output natively and offers no way to encode
// into a caller's buffer, so the large per-request allocation under our control is the
// incoming image; recycling it spares the GC a multi-megabyte buffer per request.
//
// Rules that make the pool safe:
// - only bytes written since acquire() are ever exposed (view() stops at `length`), so a
//   previous request's bytes can never leak into the next one;
// - release() happens only after sharp has finished reading the bytes (it reads them on the
//   libuv thread pool, after the call that received them has returned);
// - the pool is a cache, never storage: idle buffers are bounded and oversized ones dropped.

export class PooledBuffer {
  #bytes: Buffer;
  #length = 0;

  constructor(capacity: number) {
    this.#bytes = Buffer.allocUnsafe(capacity);
  }

  get capacity(): number {
    return this.#bytes.length;
  }

  /** Copies `chunk` after the bytes already written, doubling the capacity when needed. */
  write(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2));
      this.#bytes.copy(grown, 0, 0, this.#length);
      this.#bytes = grown;
    }
    this.#bytes.set(chunk, this.#length);
    this.#length = needed;
  }

  /** The bytes written since the buffer was acquired (a view, not a copy). */
  view(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Forgets the contents; called by the pool on release. */
  reset(): void {
    this.#length = 0;
  }
}

export interface BufferPoolOptions {
  /** Capacity of a new buffer, in bytes. */
  initialBytes: number;
  /** Buffers that grew beyond this many bytes are dropped on release, not kept. */
  maxRetainedBytes: number;
  /** Idle buffers kept for reuse; more are left to the GC. */
  maxIdle: number;
}

export class BufferPool {
  readonly #idle: PooledBuffer[] = [];
  readonly #options: BufferPoolOptions;

  constructor(options: BufferPoolOptions) {
    this.#options = options;
  }

  acquire(): PooledBuffer {
    return this.#idle.pop() ?? new PooledBuffer(this.#options.initialBytes);
  }

  release(buffer: PooledBuffer): void {
    buffer.reset();
    if (buffer.capacity > this.#options.maxRetainedBytes || this.#idle.length >= this.#options.maxIdle) return;
    this.#idle.push(buffer);
  }
}
