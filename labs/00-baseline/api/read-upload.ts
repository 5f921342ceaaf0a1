// Reads POST /upload: streams the image out of the multipart body, hashing it on the way,
// and validates the watermark fields.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../lib/errors.ts';
import { readImageForm } from '../lib/image-form.ts';
import { parseWatermarkParams } from '../lib/watermark-params.ts';
import type { WatermarkParams } from '../lib/watermark-params.ts';

export interface Upload {
  image: Buffer;
  /** SHA-256 of the image bytes, hex: names the original in MinIO. */
  imageHash: string;
  /** Hash state after the image bytes, for the cache key. */
  imageDigest: Hash;
  params: WatermarkParams;
}

export async function readUpload(req: IncomingMessage): Promise<Upload> {
  const chunks: Buffer[] = [];
  const imageDigest = createHash('sha256');
  const form = await readImageForm(req, {
    write(chunk) {
      chunks.push(chunk);
      imageDigest.update(chunk);
    },
  });
  if (!form.hasImage || chunks.length === 0) throw new AppError('FILE_MISSING');
  const params = parseWatermarkParams(form.fields);
  // DELIBERATE WEAKNESS (lab 10 fixes it): a fresh buffer of the whole image per request.
  const image = Buffer.concat(chunks);
  return { image, imageHash: imageDigest.copy().digest('hex'), imageDigest, params };
}
