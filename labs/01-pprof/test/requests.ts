// The load this folder's tests put on the service, through the harness's bounded requests:
// a request that hangs fails naming itself, one that answers anything but 200 fails with it.
import { expect } from 'vitest';
import { optimizeOnce } from '../../../shared/harness/bare-pipeline.ts';
import { get, upload, type UploadOptions } from '../../../shared/harness/upload.ts';

/** POST /optimize on the optimizer, answered 200 within `timeoutMs`: the watermarked JPEG. */
export function optimize(optimizerUrl: string, image: Buffer, text: string, timeoutMs: number): Promise<Buffer> {
  return optimizeOnce(optimizerUrl, image, text, timeoutMs);
}

/** POST /upload on the API, answered 200 within `timeoutMs`: the watermarked JPEG. */
export async function uploadOk(apiUrl: string, options: Omit<UploadOptions, 'signal' | 'timeoutMs'>, timeoutMs: number): Promise<Buffer> {
  const result = await upload(apiUrl, { ...options, timeoutMs });
  if (result.status !== 200) expect.fail(`POST ${apiUrl}/upload (wm_text ${JSON.stringify(options.wmText)}) answered ${result.status}: ${result.body.toString('utf8', 0, 200)}`);
  return result.body;
}

/** GET `url` within `timeoutMs`: its status and body. */
export async function getBounded(url: string, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  const { status, body } = await get(url, undefined, timeoutMs);
  return { status, body };
}
