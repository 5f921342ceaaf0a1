// The yardstick for the optimizer: the same work done straight on sharp, in-process — no HTTP,
// no multipart, no JavaScript pixel loops. Used by `npm run bench` and lab 01's speed criterion.
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { boundedBody, boundedFetch } from './bounded-fetch.ts';

export const WATERMARK = { text: 'NWS Watermark', position: 'bottom-right' } as const;
const fontfile = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');

/** Resize within 1920×1080 (bilinear), render the text with the TTF, composite, mozjpeg q82. */
export async function barePipeline(input: Buffer, text: string = WATERMARK.text): Promise<Buffer> {
  const resized = await sharp(input)
    .resize({ width: 1920, height: 1080, fit: 'inside', withoutEnlargement: true, kernel: 'linear' })
    .toBuffer();
  const overlay = await sharp({
    text: { text: `<span foreground="#ffffffb0">${text}</span>`, fontfile, font: 'DejaVu Sans Bold', rgba: true, dpi: 200 },
  })
    .png()
    .toBuffer();
  return sharp(resized)
    .composite([{ input: overlay, gravity: 'southeast' }])
    .jpeg({ quality: 82, mozjpeg: true })
    .toBuffer();
}

/** One POST /optimize with the standard watermark, bounded; throws on anything but 200. */
export async function optimizeOnce(optimizerUrl: string, image: Buffer, text: string = WATERMARK.text, timeoutMs?: number): Promise<Buffer> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(image)]), 'photo.jpg');
  form.set('wm_text', text);
  form.set('wm_position', WATERMARK.position);
  const what = 'the optimizer\'s POST /optimize';
  const response = await boundedFetch(what, `${optimizerUrl}/optimize`, { method: 'POST', body: form, timeoutMs });
  const body = await boundedBody(what, response, timeoutMs);
  if (!response.ok) throw new Error(`optimizer answered ${response.status}: ${body.toString().slice(0, 300)}`);
  return body;
}

/** Median wall time of `runs` calls after two warm-ups, in milliseconds. */
export async function medianMs(runs: number, once: () => Promise<unknown>): Promise<number> {
  await once();
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}
