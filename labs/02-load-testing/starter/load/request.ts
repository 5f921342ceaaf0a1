// What each request carries. A scenario's "request" is either plain HTTP (method, path,
// headers, body) or an "upload": the service's multipart form with a generated picture. With
// a missRatio, that share of uploads gets a watermark text never seen before, so the cache
// misses and the optimizer runs; the others repeat one text and hit the cache.
import { randomBytes } from 'node:crypto';
import { generateJpeg } from './images.ts';
import type { RequestSpec, UploadSpec } from './scenario.ts';

export type Method = NonNullable<RequestSpec['method']>;

export interface OutgoingRequest {
  method: Method;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface RequestSource {
  /** The request to send next. */
  next(): OutgoingRequest;
  /** True when every request is the same one, so a sender may build it once. */
  fixed: boolean;
  /** One line for the report, e.g. "POST /upload (1600×1200 JPEG, 10 % cache misses)". */
  describe: string;
}

export async function buildRequestSource(spec: RequestSpec): Promise<RequestSource> {
  if (spec.upload) return uploadSource(spec, spec.upload);
  const method = spec.method ?? (spec.body === undefined ? 'GET' : 'POST');
  const request: OutgoingRequest = {
    method,
    path: spec.path ?? '/',
    headers: spec.headers,
    body: spec.body === undefined ? undefined : Buffer.from(spec.body),
  };
  return { next: () => request, fixed: true, describe: `${method} ${request.path}` };
}

async function uploadSource(spec: RequestSpec, upload: UploadSpec): Promise<RequestSource> {
  const image = await generateJpeg(upload.image.width, upload.image.height);
  // A fresh id per run, so the misses of this run were not cached by the previous one.
  const runId = randomBytes(3).toString('hex');
  const boundary = `nws-load-${randomBytes(8).toString('hex')}`;
  const request = (wmText: string): OutgoingRequest => ({
    method: spec.method ?? 'POST',
    path: spec.path ?? '/upload',
    headers: { ...spec.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: multipart(boundary, image, { wm_text: wmText, wm_position: upload.wmPosition }),
  });
  const hit = request(upload.wmText);
  const size = `${upload.image.width}×${upload.image.height} JPEG of ${Math.round(image.length / 1024)} KiB`;
  if (upload.missRatio === 0) return { next: () => hit, fixed: true, describe: `${hit.method} ${hit.path} (${size}, cache hits)` };
  // Spreads the misses evenly: with 0.1, exactly one request in ten misses.
  let owed = 0;
  let misses = 0;
  return {
    next() {
      owed += upload.missRatio;
      if (owed < 1) return hit;
      owed -= 1;
      misses++;
      return request(`${upload.wmText} ${runId}.${misses}`);
    },
    fixed: false,
    describe: `${hit.method} ${hit.path} (${size}, ${Math.round(upload.missRatio * 100)} % cache misses)`,
  };
}

/** multipart/form-data with the text fields first, then the picture as the "image" file. */
function multipart(boundary: string, image: Buffer, fields: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="image"; filename="load.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return Buffer.concat(parts);
}
