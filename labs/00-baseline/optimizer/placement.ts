// Where the watermark goes and how big it is, proportional to the image so a thumbnail and a
// full-HD picture get the same look.
import type { Position } from '../lib/watermark-params.ts';
import type { Box } from './raw-image.ts';

const fontShare = 0.06; // text height, as a share of the image's shorter side
const marginShare = 0.03; // gap to the edges, as a share of the image's shorter side
const minFontPx = 8; // the first try on a thumbnail; renderTextMask shrinks it further to fit

export interface Layout {
  fontPx: number;
  margin: number;
  /** Largest text box that fits inside the margins. */
  maxText: { width: number; height: number };
}

export function layoutFor(width: number, height: number): Layout {
  const shorter = Math.min(width, height);
  const margin = Math.round(shorter * marginShare);
  return {
    fontPx: Math.max(minFontPx, Math.round(shorter * fontShare)),
    margin,
    maxText: { width: width - 2 * margin, height: height - 2 * margin },
  };
}

/** The text box in the chosen corner, `margin` pixels from both edges. */
export function placeBox(image: { width: number; height: number }, text: { width: number; height: number }, position: Position, margin: number): Box {
  const left = position.endsWith('left') ? margin : image.width - margin - text.width;
  const top = position.startsWith('top') ? margin : image.height - margin - text.height;
  return { left, top, width: text.width, height: text.height };
}
