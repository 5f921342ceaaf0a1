// The one way tests send an upload, so each test reads as what it checks, not how to build a form.
// Every request is bounded (REQUEST_TIMEOUT_MS unless `timeoutMs` says otherwise).
import { boundedBody, boundedFetch } from './bounded-fetch.ts';

export interface UploadOptions {
  image?: Buffer;
  filename?: string;
  wmText?: string;
  wmPosition?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface UploadResult {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
}

export async function upload(apiUrl: string, options: UploadOptions): Promise<UploadResult> {
  const form = new FormData();
  if (options.image) form.set('image', new Blob([new Uint8Array(options.image)]), options.filename ?? 'image.jpg');
  if (options.wmText !== undefined) form.set('wm_text', options.wmText);
  if (options.wmPosition !== undefined) form.set('wm_position', options.wmPosition);
  const what = 'POST /upload';
  const response = await boundedFetch(what, `${apiUrl}/upload`, {
    method: 'POST',
    body: form,
    headers: options.headers,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  });
  return toResult(what, response, options.timeoutMs);
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
