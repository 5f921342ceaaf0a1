// What crossed the wire, measured outside the service: an upload over node:http whose body is
// read as sent (not decompressed) and timed from the first byte out to the last byte in, and a
// bound on any other wait, whose failure says what hung.
import { request, type IncomingHttpHeaders } from 'node:http';

export interface WireAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as the server sent it: still gzipped when Content-Encoding says so. */
  body: Buffer;
  /** Milliseconds from sending the request to receiving the whole answer. */
  elapsedMs: number;
}

export interface WireUpload {
  image?: Buffer;
  wmText: string;
  headers?: Record<string, string>;
}

export async function wireUpload(apiUrl: string, { image, wmText, headers = {} }: WireUpload, timeoutMs = 15_000): Promise<WireAnswer> {
  const form = new FormData();
  form.set('wm_text', wmText);
  if (image) form.set('image', new Blob([new Uint8Array(image)]), 'photo.jpg');
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const contentType = encoded.headers.get('content-type')!;
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const req = request(`${apiUrl}/upload`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': contentType, 'content-length': String(body.length), ...headers },
    });
    const timer = setTimeout(() => req.destroy(new Error(`POST ${apiUrl}/upload did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), elapsedMs: performance.now() - startedAt });
      });
    });
    req.end(body);
  });
}

/** `promise`, or a failure naming `what` once `timeoutMs` has passed. */
export async function bounded<T>(what: string, promise: Promise<T>, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
