// Every error the services answer with, as `{ error: { code, message } }`. Each key equals
// its code; the web page and the tests match on codes, so a published code keeps its meaning.

export const errors = {
  MULTIPART_INVALID: {
    code: 'MULTIPART_INVALID',
    status: 400,
    message: 'the body is not readable multipart/form-data; send a form with an "image" file field',
  },
  FILE_MISSING: {
    code: 'FILE_MISSING',
    status: 400,
    message: 'the form has no "image" file; attach the picture as the multipart file field "image"',
  },
  WM_TEXT_INVALID: {
    code: 'WM_TEXT_INVALID',
    status: 400,
    message: 'wm_text must be 1–100 characters; omit it to use "NWS Watermark"',
  },
  WM_POSITION_INVALID: {
    code: 'WM_POSITION_INVALID',
    status: 400,
    message: 'wm_position must be one of top-left, top-right, bottom-left, bottom-right',
  },
  IMAGE_UNSUPPORTED: {
    code: 'IMAGE_UNSUPPORTED',
    status: 415,
    message: 'the file is not an image the service can read; send a JPEG, PNG, WebP, AVIF, GIF or TIFF',
  },
  // 415 too: to the client a picture sharp cannot decode is as unreadable as one it cannot identify.
  IMAGE_UNDECODABLE: {
    code: 'IMAGE_UNDECODABLE',
    status: 415,
    message: 'the image header is readable but its pixels are not (truncated or corrupt file)',
  },
  OPTIMIZER_REJECTED: {
    code: 'OPTIMIZER_REJECTED',
    status: 502,
    message: 'the optimizer answered with an error this service does not know',
  },
  RESULT_NOT_FOUND: {
    code: 'RESULT_NOT_FOUND',
    status: 404,
    message: 'no image and no pending job for this key; upload the image again',
  },
  REQUEST_INVALID: {
    code: 'REQUEST_INVALID',
    status: 400,
    message: 'the request could not be read (malformed URL or headers)',
  },
  ROUTE_NOT_FOUND: {
    code: 'ROUTE_NOT_FOUND',
    status: 404,
    message: 'no such route',
  },
  CACHE_UNAVAILABLE: {
    code: 'CACHE_UNAVAILABLE',
    status: 503,
    message: 'Redis did not answer; try again shortly',
  },
  STORAGE_UNAVAILABLE: {
    code: 'STORAGE_UNAVAILABLE',
    status: 503,
    message: 'object storage did not answer; try again shortly',
  },
  QUEUE_UNAVAILABLE: {
    code: 'QUEUE_UNAVAILABLE',
    status: 503,
    message: 'the optimizer is down and the job could not be queued; try again shortly',
  },
  // Lab 05: the API's rate limit (api/rate-limit.ts). Both answers carry Retry-After.
  RATE_LIMITED: {
    code: 'RATE_LIMITED',
    status: 429,
    message: 'too many uploads from this client; wait the seconds Retry-After gives, then try again',
  },
  RATE_LIMIT_UNAVAILABLE: {
    code: 'RATE_LIMIT_UNAVAILABLE',
    status: 503,
    message: 'the rate limiter could not reach Redis, so uploads are refused for now; try again in a second',
  },
  // Lab 10: the optimizer's worker pool and its queue are full (optimizer/worker-pool.ts).
  OPTIMIZER_BUSY: {
    code: 'OPTIMIZER_BUSY',
    status: 503,
    message: 'every optimizer worker is busy and its queue is full; try again after Retry-After seconds',
  },
  INTERNAL_ERROR: {
    code: 'INTERNAL_ERROR',
    status: 500,
    message: 'unexpected server error',
  },
} as const satisfies Record<string, { code: string; status: number; message: string }>;

export type ErrorCode = keyof typeof errors;

/** An error with a code from `errors`; anything else reaching a handler is a bug (500). */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  /** When the client may try again (429, 503), also sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string = errors[code].message, options?: { cause?: unknown; status?: number; retryAfterSeconds?: number }) {
    super(message, options);
    this.code = code;
    this.status = options?.status ?? errors[code].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * The AppError to answer for anything a handler threw: its own, a 4xx raised by Express
 * itself (a malformed %-escape in the URL, say), or else a 500 for a bug.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('REQUEST_INVALID', undefined, { cause: error, status });
  }
  return new AppError('INTERNAL_ERROR', undefined, { cause: error });
}

/** The JSON body every error response carries; `retryAfterSeconds` when the client should come back later. */
export function errorBody(error: AppError): { error: { code: string; message: string; retryAfterSeconds?: number } } {
  const { code, message, retryAfterSeconds } = error;
  return { error: { code, message, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) } };
}

/** Wraps a failure of a dependency (Redis, MinIO) so the client sees a 503 with its code. */
export function unavailable(code: 'CACHE_UNAVAILABLE' | 'STORAGE_UNAVAILABLE' | 'QUEUE_UNAVAILABLE') {
  return (cause: unknown): never => {
    throw new AppError(code, errors[code].message, { cause });
  };
}
