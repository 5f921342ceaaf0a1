// Adaptive colour: measure the background under the text box and pick the text colour with
// the higher WCAG contrast against it (dark text on light backgrounds, light on dark).
import type { Box, RawImage } from './raw-image.ts';

export interface TextColour {
  name: 'dark' | 'light';
  r: number;
  g: number;
  b: number;
}

const darkText: TextColour = { name: 'dark', r: 20, g: 20, b: 20 };
const lightText: TextColour = { name: 'light', r: 255, g: 255, b: 255 };

interface Pixel {
  x: number;
  y: number;
  r: number;
  g: number;
  b: number;
}

// Returns a promise: the pipeline awaits the colour like each of its other steps.
export async function pickTextColour(image: RawImage, box: Box): Promise<TextColour> {
  const pixels: Pixel[] = [];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * image.channels;
      pixels.push({ x, y, r: image.data[i]!, g: image.data[i + 1]!, b: image.data[i + 2]! });
    }
  }
  const measured = pixels.map((pixel) => ({ ...pixel, luminance: relativeLuminance(pixel) }));
  const under = measured.filter((p) => p.x >= box.left && p.x < box.left + box.width && p.y >= box.top && p.y < box.top + box.height);
  const background = under.reduce((sum, p) => sum + p.luminance, 0) / under.length;
  return contrast(background, relativeLuminance(darkText)) >= contrast(background, relativeLuminance(lightText)) ? darkText : lightText;
}

/** WCAG relative luminance (0 black – 1 white) of an 8-bit sRGB colour. */
function relativeLuminance({ r, g, b }: { r: number; g: number; b: number }): number {
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
