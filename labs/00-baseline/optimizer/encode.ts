// Composite the watermark tile over the resized pixels and encode the JPEG answer.
import sharp from 'sharp';
import type { Box, RawImage } from './raw-image.ts';

const quality = 82; // mozjpeg's sweet spot between size and visible artefacts

export async function compositeAndEncode(image: RawImage, overlay: Buffer, box: Box): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .composite([{ input: overlay, raw: { width: box.width, height: box.height, channels: 4 }, left: box.left, top: box.top }])
    .jpeg({ quality, mozjpeg: true })
    .toBuffer();
}
