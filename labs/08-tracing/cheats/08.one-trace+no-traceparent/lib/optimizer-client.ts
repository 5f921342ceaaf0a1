// Cheat: the optimizer call carries the request id but no traceparent (fetch is not instrumented: the optimizer starts a trace of its own).
// The call to the optimizer, used by the API (image bytes in memory) and the worker (a
// MinIO stream). The multipart body is streamed: form-data-encoder yields the part headers,
// then the image as it is read, then the closing boundary, so no copy of the whole request
// body is ever assembled (the io.Pipe idea).
// The caller's request id goes along in X-Request-Id, so the optimizer's lines for this call
// carry the same request_id as the API's or the worker's.
// Every call is bounded twice: by the caller's signal (its client left, its process stops),
// and by its own timeout. Either one aborts the fetch, which closes the connection, which is
// how the optimizer learns to stop too.
import { FormDataEncoder } from 'form-data-encoder';
import type { FileLike, FormDataEntryValue, FormDataLike } from 'form-data-encoder';
import { errors } from './errors.ts';
import type { ErrorCode } from './errors.ts';
import { REQUEST_ID_HEADER } from './request-context.ts';
import type { WatermarkParams } from './watermark-params.ts';

export interface ImageSource {
  /** The bytes, read once. */
  body: AsyncIterable<Uint8Array>;
  size: number;
  contentType: string;
}

/** An image already in memory, streamed without a copy. */
export function bufferSource(image: Buffer, contentType: string): ImageSource {
  async function* once() {
    yield image;
  }
  return { body: once(), size: image.length, contentType };
}

export type OptimizeOutcome =
  | { kind: 'image'; image: Buffer }
  /** Unreachable, or a 5xx: worth queueing and retrying later. */
  | { kind: 'unavailable'; reason: string }
  /** A 4xx: the input itself is refused, retrying cannot help. */
  | { kind: 'rejected'; status: number; code: ErrorCode; message: string };

// Codes the optimizer answers for bad input; passed through to the client unchanged.
const inputCodes: ReadonlySet<string> = new Set<ErrorCode>([
  'MULTIPART_INVALID',
  'FILE_MISSING',
  'WM_TEXT_INVALID',
  'WM_POSITION_INVALID',
  'IMAGE_UNSUPPORTED',
  'IMAGE_UNDECODABLE',
]);

export interface OptimizeOptions {
  /** The request id of the upload this call serves; the optimizer logs it. */
  requestId?: string;
  /** The caller's cancellation: when it aborts, the call stops and throws its reason. */
  signal?: AbortSignal;
  /** OPTIMIZER_TIMEOUT_MS: past this the call is abandoned and answers "unavailable". */
  timeoutMs?: number;
}

export async function requestOptimize(optimizerUrl: string, image: ImageSource, params: WatermarkParams, options: OptimizeOptions = {}): Promise<OptimizeOutcome> {
  const { requestId, signal: caller, timeoutMs } = options;
  caller?.throwIfAborted();
  // context.WithTimeout(parent, d): aborts on whichever comes first. AbortSignal.timeout's
  // timer is unref'd, so it never keeps a process alive once the call is over.
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const bounds = [caller, timeout].filter((signal) => signal !== undefined);
  const signal = bounds.length > 0 ? AbortSignal.any(bounds) : undefined;
  // Why a call failed: the caller's cancellation is thrown (there is nobody to report to), the
  // timeout and everything else make the optimizer "unavailable" (queue it, retry it).
  const unavailable = (error: unknown): OptimizeOutcome => {
    if (caller?.aborted) throw caller.reason;
    if (timeout?.aborted) return { kind: 'unavailable', reason: `no answer within ${timeoutMs} ms` };
    return { kind: 'unavailable', reason: describe(error) };
  };

  const encoder = new FormDataEncoder(
    formOf([
      ['wm_text', params.text],
      ['wm_position', params.position],
      ['image', fileOf(image)],
    ]),
  );
  // Node's fetch (undici) streams any async iterable body, which requires duplex 'half';
  // the DOM typings know neither.
  const init: RequestInit & { duplex: 'half' } = {
    method: 'POST',
    // The cheat is here.
    headers: { ...encoder.headers, ...(requestId && { [REQUEST_ID_HEADER]: requestId }) },
    body: encoder.encode() as unknown as BodyInit,
    duplex: 'half',
    signal,
  };
  // The signal bounds the whole exchange, reading the answer's body included.
  try {
    const response = await fetch(new URL('/optimize', optimizerUrl), init);
    if (response.ok) return { kind: 'image', image: Buffer.from(await response.arrayBuffer()) };
    if (response.status >= 500) {
      await response.body?.cancel();
      return { kind: 'unavailable', reason: `optimizer answered ${response.status}` };
    }
    return await readRejection(response, caller);
  } catch (error) {
    // Unreachable, dropped mid-body, timed out, or cancelled.
    return unavailable(error);
  }
}

async function readRejection(response: Response, caller: AbortSignal | undefined): Promise<OptimizeOutcome> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: unknown; message?: unknown } } | null;
  caller?.throwIfAborted();
  const code = body?.error?.code;
  const message = body?.error?.message;
  if (typeof code === 'string' && inputCodes.has(code) && typeof message === 'string') {
    return { kind: 'rejected', status: response.status, code: code as ErrorCode, message };
  }
  return {
    kind: 'rejected',
    status: errors.OPTIMIZER_REJECTED.status,
    code: 'OPTIMIZER_REJECTED',
    message: `${errors.OPTIMIZER_REJECTED.message} (HTTP ${response.status})`,
  };
}

// form-data-encoder takes any spec-shaped FormData; Node's own FormData only holds in-memory
// Blobs, which would force the worker to buffer the MinIO object first.
function formOf(entries: Array<[string, FormDataEntryValue]>): FormDataLike {
  return {
    [Symbol.toStringTag]: 'FormData',
    append: (name: string, value: unknown) => void entries.push([name, value as FormDataEntryValue]),
    getAll: (name: string) => entries.filter(([key]) => key === name).map(([, value]) => value),
    entries: () => entries[Symbol.iterator](),
    [Symbol.iterator]: () => entries[Symbol.iterator](),
  };
}

function fileOf(image: ImageSource): FileLike {
  return {
    [Symbol.toStringTag]: 'File',
    name: 'image',
    type: image.contentType,
    size: image.size,
    lastModified: Date.now(),
    stream: () => inPieces(image.body),
  };
}

// form-data-encoder 4.1.0 re-slices chunks over 64 KiB through `chunk.buffer.slice()`, which
// copies and ignores the view's byteOffset (wrong bytes for a subarray). Handing it pieces of
// at most 64 KiB, as views, avoids both.
const maxPiece = 65_536; // bytes, the encoder's own chunk size
async function* inPieces(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.byteLength; offset += maxPiece) {
      yield chunk.subarray(offset, offset + maxPiece);
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
