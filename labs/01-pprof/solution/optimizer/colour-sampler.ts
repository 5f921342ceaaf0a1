// Adaptive colour: measure the background under the text box and pick the text colour with
// the higher WCAG contrast against it (dark text on light backgrounds, light on dark).
//
// Only the text box matters, and libvips reads it natively: an extract of the box from the
// already-resized pixels (≤ 1920×1080, so the box is a few percent of the picture), shrunk to
// fit `sampleSide`×`sampleSide`. JavaScript then averages at most a few thousand pixels with
// no allocation per pixel, and the pixel work runs on libvips' threads, off the event loop.
//
// Not .extract(box).stats(): sharp's stats() measures the pipeline's *input*, whatever
// operations precede it, so that chain silently averages the whole picture, and costs about
// 75 ms on a 1440×1080 image, invisible in a JS profile because it runs on libvips' threads.
import sharp from 'sharp';
import type { Box, RawImage } from './raw-image.ts';

export interface TextColour {
  name: 'dark' | 'light';
  r: number;
  g: number;
  b: number;
}

const darkText: TextColour = { name: 'dark', r: 20, g: 20, b: 20 };
const lightText: TextColour = { name: 'light', r: 255, g: 255, b: 255 };
const sampleSide = 64; // px: the box is shrunk to fit 64×64 (an average, not a pick) before JS reads it

export async function pickTextColour(image: RawImage, box: Box): Promise<TextColour> {
  const region = clampToImage(box, image);
  if (!region) return lightText; // nothing under the text to measure: the old choice for an empty box
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .extract(region)
    .resize({ width: sampleSide, height: sampleSide, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i += info.channels) sum += relativeLuminance(data[i]!, data[i + 1]!, data[i + 2]!);
  const background = sum / (info.width * info.height);
  const onDark = contrast(background, relativeLuminance(darkText.r, darkText.g, darkText.b));
  const onLight = contrast(background, relativeLuminance(lightText.r, lightText.g, lightText.b));
  return onDark >= onLight ? darkText : lightText;
}

/** The part of `box` inside the image, or null when none is (libvips refuses such an extract). */
function clampToImage(box: Box, image: { width: number; height: number }): Box | null {
  const left = Math.max(0, box.left);
  const top = Math.max(0, box.top);
  const width = Math.min(image.width, box.left + box.width) - left;
  const height = Math.min(image.height, box.top + box.height) - top;
  return width > 0 && height > 0 ? { left, top, width, height } : null;
}

/** WCAG relative luminance (0 black – 1 white) of an 8-bit sRGB colour. */
function relativeLuminance(r: number, g: number, b: number): number {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

// sRGB transfer function: gamma-encoded 0–255 to linear light 0–1.
function linear(channel: number): number {
  const c = channel / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG contrast ratio between two relative luminances (1 – 21). */
function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
