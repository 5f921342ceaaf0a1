// Inputs that a constant or a cache cannot answer: a picture whose text box and the rest
// of the picture differ in tone, and copies of a JPEG that differ in their bytes only.
import sharp from 'sharp';

let split: Promise<Buffer> | undefined;

/**
 * A 1600×1200 JPEG, dark (~20) everywhere but its light (~235) bottom-right quarter: the
 * picture as a whole, or any one pixel outside that quarter, calls for light text.
 */
export function splitBackground(): Promise<Buffer> {
  split ??= (() => {
    const [width, height] = [1600, 1200];
    const px = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const base = x >= width / 2 && y >= height / 2 ? 235 : 20;
        const noise = ((x * 7919 + y * 104_729) % 17) - 8; // mild fixed texture, ±8
        px.fill(base + noise, (y * width + x) * 3, (y * width + x + 1) * 3);
      }
    }
    return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  })();
  return split;
}

/** `jpeg` with a comment segment holding `note` right after its start marker: same pixels, other bytes. */
export function withComment(jpeg: Buffer, note: string): Buffer {
  const text = Buffer.from(note, 'utf8');
  const head = Buffer.from([0xff, 0xfe, 0, 0]);
  head.writeUInt16BE(text.length + 2, 2); // the length counts itself, not the marker
  return Buffer.concat([jpeg.subarray(0, 2), head, text, jpeg.subarray(2)]);
}
