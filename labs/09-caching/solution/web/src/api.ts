// The page's only contact with the API. Every URL is relative: the API serves this page
// from its own origin, so its headers (Server-Timing, X-Cache) are readable without CORS.

export const CORNERS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type Corner = (typeof CORNERS)[number];

export const MAX_TEXT_LENGTH = 100;
export const POLL_INTERVAL_MS = 1000;

export type CacheState = 'HIT' | 'MISS';

/** What every answer to POST /upload tells about the request itself. */
export interface UploadMeta {
  status: number;
  serverTiming: string | null;
  cache: CacheState | null;
  /** The result's cache key (X-Cache-Key): GET image/<key> serves it again. */
  key: string | null;
}

export type UploadOutcome =
  | { kind: 'done'; meta: UploadMeta; image: Blob }
  /** `queued`: why the API queued it: 'breaker' (the optimizer was not even called) or 'optimizer-unavailable'. */
  | { kind: 'pending'; meta: UploadMeta; statusUrl: string; queued?: string };

/** An answer the page cannot use, with the API's own code and message when it sent one. */
export class ApiError extends Error {
  readonly status: number | null;
  readonly code: string | null;
  /** When the API asked to come back later (429, 503): seconds, from Retry-After or the body. */
  readonly retryAfterSeconds: number | null;
  constructor(message: string, status: number | null = null, code: string | null = null, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Retry-After in seconds (the API sends whole seconds; an HTTP date is read too). */
function retryAfterOf(headers: Headers): number | null {
  const value = headers.get('Retry-After')?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function readCache(headers: Headers): CacheState | null {
  const value = headers.get('X-Cache')?.trim().toUpperCase();
  return value === 'HIT' || value === 'MISS' ? value : null;
}

/** Reads `{error:{code,message}}`; falls back to the status line for anything else. */
async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let retryAfter = retryAfterOf(response.headers);
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; retryAfterSeconds?: unknown } };
    if (typeof body.error?.retryAfterSeconds === 'number') retryAfter = body.error.retryAfterSeconds;
    if (typeof body.error?.message === 'string') {
      const code = typeof body.error.code === 'string' ? body.error.code : null;
      return new ApiError(body.error.message, response.status, code, retryAfter);
    }
  } catch {
    // not JSON: a proxy's error page or plain text
  }
  const reason = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError(`The server answered ${response.status}${reason}.`, response.status, null, retryAfter);
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError('Could not reach the API. Is the service running?');
  }
}

export async function uploadImage(
  file: File,
  text: string,
  corner: Corner,
  signal?: AbortSignal,
): Promise<UploadOutcome> {
  const form = new FormData();
  form.set('image', file, file.name);
  form.set('wm_text', text);
  form.set('wm_position', corner);
  const response = await send('upload', { method: 'POST', body: form, signal });
  if (!response.ok) throw await toApiError(response);
  const meta: UploadMeta = {
    status: response.status,
    serverTiming: response.headers.get('Server-Timing'),
    cache: readCache(response.headers),
    key: response.headers.get('X-Cache-Key'),
  };
  if (response.status === 202) {
    const body = (await response.json().catch(() => null)) as { statusUrl?: unknown; queued?: unknown } | null;
    if (typeof body?.statusUrl !== 'string') {
      throw new ApiError('The job was queued, but the answer has no statusUrl to follow.', 202);
    }
    return { kind: 'pending', meta, statusUrl: body.statusUrl, ...(typeof body.queued === 'string' && { queued: body.queued }) };
  }
  return { kind: 'done', meta, image: await response.blob() };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `statusUrl` every second until the job is done and returns the image's URL.
 * `onCheck` is called after every "still pending" answer with the number of checks so far.
 */
export async function waitForResult(
  statusUrl: string,
  signal: AbortSignal,
  onCheck: (checks: number) => void,
): Promise<string> {
  for (let checks = 1; ; checks++) {
    await sleep(POLL_INTERVAL_MS, signal);
    const response = await send(statusUrl, { signal, headers: { Accept: 'application/json' } });
    if (!response.ok) throw await toApiError(response);
    const body = (await response.json().catch(() => null)) as { status?: unknown; url?: unknown } | null;
    if (body?.status === 'done' && typeof body.url === 'string') return body.url;
    if (body?.status !== 'pending') {
      throw new ApiError(`Unexpected answer from ${statusUrl}: ${JSON.stringify(body)}`, response.status);
    }
    onCheck(checks);
  }
}

/** What GET image/<key> answered to a revalidation. */
export interface Revalidation {
  status: number;
  etag: string | null;
  /** Bytes of body received: none for a 304. */
  bytes: number;
}

/**
 * Asks whether the image behind `key` is still the one the page holds: If-None-Match with the
 * ETag of the last answer, so an unchanged image costs a 304 and no body. The page sets the
 * header itself, so the browser's cache stays out of it and the 304 reaches the page as is; and
 * its own Cache-Control, because the browser would otherwise add `no-cache`, which Express's
 * `req.fresh` reads as "answer in full" (a request directive meant for caches on the way).
 */
export async function revalidateImage(key: string, etag: string | null): Promise<Revalidation> {
  const headers: Record<string, string> = { 'Cache-Control': 'max-age=0', ...(etag && { 'If-None-Match': etag }) };
  const response = await send(`image/${encodeURIComponent(key)}`, { cache: 'no-store', headers });
  if (!response.ok && response.status !== 304) throw await toApiError(response);
  const bytes = (await response.arrayBuffer()).byteLength;
  return { status: response.status, etag: response.headers.get('ETag'), bytes };
}
