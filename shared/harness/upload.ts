// The one way tests send an upload, so each test reads as what it checks, not how to build a form.
// Every request is bounded (REQUEST_TIMEOUT_MS unless `timeoutMs` says otherwise).
import { REQUEST_TIMEOUT_MS, boundedBody, boundedFetch } from './bounded-fetch.ts';

export interface UploadOptions {
  image?: Buffer;
  filename?: string;
  wmText?: string;
  wmPosition?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * Sends the encoded body in two halves this many ms apart (a slow client), so the server's
   * reading of the body lasts at least that long; the result's `secondHalfAt` says when the
   * second half left (Date.now()).
   */
  pauseMs?: number;
}

export interface UploadResult {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
  /** With `pauseMs`: Date.now() when the body's second half was handed to fetch. */
  secondHalfAt?: number;
}

export async function upload(apiUrl: string, options: UploadOptions): Promise<UploadResult> {
  const form = new FormData();
  if (options.image) form.set('image', new Blob([new Uint8Array(options.image)]), options.filename ?? 'image.jpg');
  if (options.wmText !== undefined) form.set('wm_text', options.wmText);
  if (options.wmPosition !== undefined) form.set('wm_position', options.wmPosition);
  const what = 'POST /upload';
  if (options.pauseMs !== undefined) return slowUpload(what, apiUrl, form, options, options.pauseMs);
  const response = await boundedFetch(what, `${apiUrl}/upload`, {
    method: 'POST',
    body: form,
    headers: options.headers,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  });
  return toResult(what, response, options.timeoutMs);
}

/** The form encoded once, then streamed in two halves `pauseMs` apart. */
async function slowUpload(what: string, apiUrl: string, form: FormData, options: UploadOptions, pauseMs: number): Promise<UploadResult> {
  const encoded = new Request('http://encode.invalid/', { method: 'POST', body: form });
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  const half = Math.floor(bytes.length / 2);
  let secondHalfAt: number | undefined;
  async function* halves() {
    yield bytes.subarray(0, half);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    secondHalfAt = Date.now();
    yield bytes.subarray(half);
  }
  const response = await boundedFetch(what, `${apiUrl}/upload`, {
    method: 'POST',
    body: halves() as unknown as BodyInit,
    duplex: 'half',
    headers: { ...options.headers, 'content-type': encoded.headers.get('content-type')! },
    signal: options.signal,
    timeoutMs: (options.timeoutMs ?? REQUEST_TIMEOUT_MS) + pauseMs,
  } as RequestInit & { timeoutMs: number });
  return { ...(await toResult(what, response, options.timeoutMs)), secondHalfAt };
}

export async function get(url: string, headers?: Record<string, string>, timeoutMs?: number): Promise<UploadResult> {
  return toResult('GET', await boundedFetch('GET', url, { headers, timeoutMs }), timeoutMs);
}

async function toResult(what: string, response: Response, timeoutMs?: number): Promise<UploadResult> {
  const body = await boundedBody(what, response, timeoutMs);
  return {
    status: response.status,
    headers: response.headers,
    body,
    json: <T>() => JSON.parse(body.toString()) as T,
  };
}

/** Parses `Server-Timing` into step → milliseconds. */
export function serverTiming(header: string | null): Map<string, number> {
  const steps = new Map<string, number>();
  for (const entry of (header ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';');
    if (!name) continue;
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    steps.set(name, dur ? Number(dur.slice(4)) : 0);
  }
  return steps;
}
