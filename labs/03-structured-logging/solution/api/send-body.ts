// Every API answer goes out through here: gzip when the client accepts it and the type
// benefits (JSON, HTML, JS — not JPEG, which is already compressed), `Vary` so caches keep
// both variants apart, and the Server-Timing header when the request is timed.
import type { Request, Response } from 'express';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import compressible from 'compressible';
import { errorBody, toAppError } from '../lib/errors.ts';
import { contextOf } from '../lib/request-context.ts';
import type { ServerTiming } from './server-timing.ts';

const gzip = promisify(gzipCallback);

export interface Body {
  status: number;
  /** A MIME type or a file extension, as res.type() takes it. */
  type: string;
  body: Buffer;
  timing?: ServerTiming;
}

export async function sendBody(req: Request, res: Response, { status, type, body, timing }: Body): Promise<void> {
  res.status(status).type(type).vary('Accept-Encoding');
  let payload = body;
  if (!compressible(String(res.get('Content-Type')))) {
    timing?.skip('gzip', 'not compressible');
  } else if (req.acceptsEncodings(['gzip', 'identity']) !== 'gzip') {
    timing?.skip('gzip', 'not accepted');
  } else {
    payload = timing
      ? await timing.measure({ step: 'gzip' }, () => gzip(body), (zipped) => ({ outcome: 'compressed', bytes: zipped.length }))
      : await gzip(body);
    timing?.describe('gzip', `${body.length} to ${payload.length} bytes`);
    res.set('Content-Encoding', 'gzip');
  }
  if (timing) res.set('Server-Timing', timing.header());
  res.set('Content-Length', String(payload.length));
  res.end(payload);
}

export function sendJson(req: Request, res: Response, status: number, value: unknown, timing?: ServerTiming): Promise<void> {
  return sendBody(req, res, { status, type: 'application/json', body: Buffer.from(JSON.stringify(value)), timing });
}

/**
 * Answers `error` as `{ error: { code, message } }`. A 5xx is logged with the error and its
 * stack; a 4xx shows on the summary line as its status and `error_code`.
 */
export async function sendError(req: Request, res: Response, error: unknown, timing?: ServerTiming): Promise<void> {
  const appError = toAppError(error);
  const context = contextOf(req);
  context.summary.error_code = appError.code;
  if (appError.status >= 500) context.log.error({ err: error, error_code: appError.code }, `${req.method} ${req.path} failed: ${appError.code}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  await sendJson(req, res, appError.status, errorBody(appError), timing);
}
