// The one way tests send an upload, so each test reads as what it checks, not how to build a form.

export interface UploadOptions {
  image?: Buffer;
  filename?: string;
  wmText?: string;
  wmPosition?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
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
  const response = await fetch(`${apiUrl}/upload`, {
    method: 'POST',
    body: form,
    headers: options.headers,
    signal: options.signal,
  });
  return toResult(response);
}

export async function get(url: string, headers?: Record<string, string>): Promise<UploadResult> {
  return toResult(await fetch(url, { headers }));
}

async function toResult(response: Response): Promise<UploadResult> {
  const body = Buffer.from(await response.arrayBuffer());
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
