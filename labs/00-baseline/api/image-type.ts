// A cheap header read before anything is stored: is this an image sharp can decode, and
// which type should MinIO record for it?
import sharp from 'sharp';
import { AppError } from '../lib/errors.ts';

// sharp's format names → MIME types; AVIF and HEIC both report "heif".
const mimeTypes: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  heif: 'image/heif',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
};

export async function detectImageType(image: Buffer): Promise<string> {
  try {
    const { format } = await sharp(image).metadata();
    return mimeTypes[format] ?? 'application/octet-stream';
  } catch (error) {
    throw new AppError('IMAGE_UNSUPPORTED', undefined, { cause: error });
  }
}
