// Shapes passed between the pipeline steps.

/** Decoded 8-bit sRGB pixels, `channels` bytes per pixel, rows top to bottom. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

/** A rectangle on the image, in pixels. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}
