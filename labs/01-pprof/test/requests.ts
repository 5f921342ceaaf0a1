// The load this folder's tests put on the service: each request bounded, and a failure that
// names the request that hung or failed.
import { expect } from 'vitest';
import { WATERMARK } from '../../../shared/harness/bare-pipeline.ts';
import { upload, type UploadOptions } from '../../../shared/harness/upload.ts';

/** POST /optimize on the optimizer, answered 200 within `timeoutMs`: the watermarked JPEG. */
export async function optimize(optimizerUrl: string, image: Buffer, text: string, timeoutMs: number): Promise<Buffer> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(image)]), 'photo.jpg');
  form.set('wm_text', text);
  form.set('wm_position', WATERMARK.position);
  const what = `POST ${optimizerUrl}/optimize (wm_text ${JSON.stringify(text)})`;
  const { status, body } = await bounded(what, timeoutMs, async (signal) => {
    const response = await fetch(`${optimizerUrl}/optimize`, { method: 'POST', body: form, signal });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  });
  if (status !== 200) expect.fail(`${what} answered ${status}: ${body.toString('utf8', 0, 200)}`);
  return body;
}

/** POST /upload on the API, answered 200 within `timeoutMs`: the watermarked JPEG. */
export async function uploadOk(apiUrl: string, options: Omit<UploadOptions, 'signal'>, timeoutMs: number): Promise<Buffer> {
  const what = `POST ${apiUrl}/upload (wm_text ${JSON.stringify(options.wmText)})`;
  const result = await bounded(what, timeoutMs, (signal) => upload(apiUrl, { ...options, signal }));
  if (result.status !== 200) expect.fail(`${what} answered ${result.status}: ${result.body.toString('utf8', 0, 200)}`);
  return result.body;
}

/** GET `url` within `timeoutMs`: its status and body. */
export function getBounded(url: string, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  return bounded(`GET ${url}`, timeoutMs, async (signal) => {
    const response = await fetch(url, { signal });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  });
}

/** Runs `call` with a signal that aborts at `timeoutMs`; a timeout fails naming `what`. */
async function bounded<T>(what: string, timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await call(AbortSignal.timeout(timeoutMs));
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') expect.fail(`${what} → no answer within ${timeoutMs / 1000} s`);
    throw error;
  }
}
