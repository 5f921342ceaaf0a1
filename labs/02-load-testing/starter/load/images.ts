// The pictures upload scenarios send, generated on the spot: a JPEG of the requested size
// with a gradient, soft waves and seeded noise, so the optimizer does realistic work and the
// same size always gives the same bytes (the same cache key from one run to the next).
import sharp from 'sharp';

// mulberry32: a small seeded generator; Math.random would change the bytes on every run.
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const byte = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

export async function generateJpeg(width: number, height: number): Promise<Buffer> {
  const random = seeded(width * 100_003 + height);
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const wave = 30 * Math.sin(x / 41) * Math.cos(y / 57);
      const noise = (random() - 0.5) * 30;
      const i = (y * width + x) * 3;
      pixels[i] = byte(60 + (150 * x) / width + wave + noise);
      pixels[i + 1] = byte(90 + (100 * y) / height - wave + noise);
      pixels[i + 2] = byte(180 - (120 * y) / height + noise);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}
