// The watermark itself: the text rendered with the packaged font, then coloured and made
// semi-transparent as an RGBA tile to composite over the image.
import sharp from 'sharp';
import type { CreateText } from 'sharp';
import { AppError } from '../lib/errors.ts';
import type { TextColour } from './colour-sampler.ts';
import type { Font } from './font.ts';

const opacity = 0.6; // 0 invisible – 1 opaque; enough to read, light enough to see through

/** Glyph coverage, one byte per pixel (0 background – 255 ink). */
export interface TextMask {
  data: Buffer;
  width: number;
  height: number;
}

/** Renders `text` at `fontPx`, shrinking (and wrapping) it when it would not fit `max`. */
export async function renderTextMask(text: string, fontPx: number, max: { width: number; height: number }, font: Font): Promise<TextMask> {
  // sharp's text input is Pango markup: a "<" or "&" in the user's text must be escaped.
  const markup = escapeMarkup(text);
  const first = await render({ text: markup, font: `${font.family} ${fontPx}px`, fontfile: font.file });
  if (first.width <= max.width && first.height <= max.height) return first;
  // With width and height set, libvips picks the largest size whose wrapped text fits the box.
  return render({
    text: markup,
    font: font.family,
    fontfile: font.file,
    width: Math.min(first.width, max.width),
    height: Math.min(first.height, max.height),
    wrap: 'word-char',
  });
}

/** An RGBA tile: the colour everywhere, the glyph coverage times `opacity` as alpha. */
export async function colourOverlay(mask: TextMask, colour: TextColour): Promise<Buffer> {
  const { width, height } = mask;
  return sharp({ create: { width, height, channels: 3, background: { r: colour.r, g: colour.g, b: colour.b } } })
    .joinChannel(mask.data, { raw: { width, height, channels: 1 } })
    .linear([1, 1, 1, opacity], [0, 0, 0, 0])
    .raw()
    .toBuffer();
}

async function render(text: CreateText): Promise<TextMask> {
  try {
    const { data, info } = await sharp({ text }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (error) {
    // Text that passed validation can still lay out to nothing (a lone variation selector).
    if (error instanceof Error && error.message.includes('no text to render')) {
      throw new AppError('WM_TEXT_INVALID', 'wm_text renders no visible glyph; use letters, digits or symbols', { cause: error });
    }
    throw error;
  }
}

function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
