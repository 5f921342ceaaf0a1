// What a person would see in the optimizer's answers: which way the text's tone goes against
// its background, and how far a picture is from the bare sharp pipeline's.
import sharp from 'sharp';
import { expect } from 'vitest';
import { luma, type Region } from '../../../shared/harness/pixels.ts';

export type Corner = 'top-left' | 'bottom-right';

async function quarter(image: Buffer, corner: Corner): Promise<Region> {
  const [width, height] = await sizeOf(image);
  const [w, h] = [Math.floor(width / 2), Math.floor(height / 2)];
  return corner === 'top-left' ? { left: 0, top: 0, width: w, height: h } : { left: width - w, top: height - h, width: w, height: h };
}

/** Fails unless `image` shows visible text in `corner`, darker or lighter than its background as `tone` says. */
export async function expectTextTone(image: Buffer, corner: Corner, tone: 'dark' | 'light', what: string): Promise<void> {
  const { outliers, median } = await luma(image, await quarter(image, corner));
  // The baseline's check: text pixels stand out from the region's median by more than 60.
  if (outliers.count <= 100) expect.fail(`${what}: no visible text in the ${corner} quarter (${outliers.count} pixels stand out from the background ${median.toFixed(0)}): ${tone} text was expected there`);
  const ok = tone === 'dark' ? outliers.mean < median : outliers.mean > median;
  if (!ok) expect.fail(`${what}: the text in the ${corner} quarter is ${tone === 'dark' ? 'lighter' : 'darker'} (${outliers.mean.toFixed(0)}) than its background (${median.toFixed(0)}), ${tone} text was expected`);
}

/** Mean absolute luma difference (0–255) between two pictures of one size over `region`. */
export async function lumaDifference(a: Buffer, b: Buffer, region: Region): Promise<number> {
  const read = (image: Buffer) => sharp(image).removeAlpha().extract(region).greyscale().raw().toBuffer();
  const [pa, pb] = await Promise.all([read(a), read(b)]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i]! - pb[i]!);
  return sum / pa.length;
}

/** Width and height of a picture. */
export async function sizeOf(image: Buffer): Promise<[number, number]> {
  const { width, height } = await sharp(image).metadata();
  return [width!, height!];
}
