// Reads the multipart form both the API and the optimizer accept: one file field "image"
// plus the text fields "wm_text" and "wm_position". The image is streamed chunk by chunk
// into the caller's sink as busboy parses it; nothing here holds the whole body.
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { AppError } from './errors.ts';

export interface ImageFormFields {
  wm_text?: string;
  wm_position?: string;
}

export interface ImageForm {
  fields: ImageFormFields;
  /** Whether an "image" file part was present (it may still be empty). */
  hasImage: boolean;
}

/** Receives the image bytes in order; `write` must not keep `chunk` beyond the call unless it copies it. */
export interface ImageSink {
  write(chunk: Buffer): void;
}

export async function readImageForm(req: IncomingMessage, sink: ImageSink): Promise<ImageForm> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers });
  } catch (error) {
    // busboy throws synchronously on a missing or non-multipart Content-Type.
    throw new AppError('MULTIPART_INVALID', undefined, { cause: error });
  }

  const fields: ImageFormFields = {};
  let hasImage = false;
  parser.on('field', (name, value) => {
    // The first value of a repeated field wins, like the first "image" file.
    if ((name === 'wm_text' || name === 'wm_position') && fields[name] === undefined) fields[name] = value;
  });
  let partError: Error | undefined;
  parser.on('file', (name, file) => {
    // A part cut short (truncated body) errors on its own stream; unheard, that would crash
    // the process, so it is kept and reported with the parse.
    file.on('error', (error: Error) => {
      partError ??= error;
    });
    if (name !== 'image' || hasImage) {
      file.resume(); // an unread part would stall the whole parse
      return;
    }
    hasImage = true;
    file.on('data', (chunk: Buffer) => sink.write(chunk));
  });

  try {
    await Promise.all([pipeline(req, parser), once(parser, 'close')]);
    if (partError) throw partError;
  } catch (error) {
    throw new AppError('MULTIPART_INVALID', `the multipart body could not be read (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  return { fields, hasImage };
}
