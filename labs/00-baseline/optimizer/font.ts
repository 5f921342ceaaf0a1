// The watermark font: DejaVu Sans Bold from the dejavu-fonts-ttf package, never a system
// font. A machine without that font would otherwise render every glyph as an empty box,
// silently (Pango falls back instead of failing).
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { StartupError } from '../lib/startup.ts';

export interface Font {
  /** Pango family name as declared inside the TTF; it must match or Pango falls back. */
  family: string;
  file: string;
}

export function resolveFont(): Font {
  const require = createRequire(import.meta.url);
  try {
    return { family: 'DejaVu Sans Bold', file: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf') };
  } catch (error) {
    throw new StartupError('the font package dejavu-fonts-ttf is not installed; run npm ci', { cause: error });
  }
}

/**
 * Stops start-up unless the font really renders glyphs: missing-glyph boxes all share one
 * width, real "iiii" and "WWWW" do not.
 */
export async function assertFontRenders(font: Font): Promise<void> {
  const width = async (text: string) => {
    const { info } = await sharp({ text: { text, font: `${font.family} 40px`, fontfile: font.file } }).toBuffer({ resolveWithObject: true });
    return info.width;
  };
  const [narrow, wide] = await Promise.all([width('iiii'), width('WWWW')]);
  if (wide < narrow * 2) {
    throw new StartupError(`the font ${font.file} renders no glyphs (iiii is ${narrow} px wide, WWWW ${wide} px); reinstall dejavu-fonts-ttf with npm ci`);
  }
}
