// Measures what a person would see in an output image: luminance over a region.
import sharp from 'sharp';

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Luma {
  min: number;
  max: number;
  mean: number;
  median: number;
  /** Mean luminance and centroid of the pixels whose luminance differs from the region's median by more than 60. */
  outliers: { count: number; mean: number; x: number; y: number };
}

/** Rec. 709 luma of every pixel in the region (all of the image by default). */
export async function luma(image: Buffer, region?: Region): Promise<Luma> {
  let pipeline = sharp(image).removeAlpha();
  if (region) pipeline = pipeline.extract(region);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const values = new Float64Array(info.width * info.height);
  for (let p = 0, i = 0; p < values.length; p++, i += info.channels) {
    values[p] = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
  }
  const sorted = Float64Array.from(values).sort();
  const median = sorted[sorted.length >> 1]!;
  let sum = 0;
  let count = 0;
  let sx = 0;
  let sy = 0;
  let so = 0;
  for (let p = 0; p < values.length; p++) {
    sum += values[p]!;
    if (Math.abs(values[p]! - median) > 60) {
      count++;
      so += values[p]!;
      sx += p % info.width;
      sy += Math.floor(p / info.width);
    }
  }
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sum / values.length,
    median,
    outliers: { count, mean: count ? so / count : NaN, x: count ? sx / count / info.width : NaN, y: count ? sy / count / info.height : NaN },
  };
}
