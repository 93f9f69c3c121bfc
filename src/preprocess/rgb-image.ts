// The one image type preprocessing works on: 8-bit RGB, row-major, interleaved (what PIL's
// `.convert('RGB')` holds), plus the size guard every decoder applies before allocating.
import { ImageError } from '../errors';
import { beyond, LIMITS } from '../common/limits';

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, R G B per pixel, rows top to bottom. */
  data: Uint8Array;
}

/** Decompression-bomb guard: a tiny file can declare a huge image. 64 megapixels is ~190 MB of RGB. */
export const MAX_IMAGE_PIXELS = LIMITS.imagePixels.value;

/** Throw unless width x height is a usable image size. `what` names the image in the message. */
export function checkImageSize(width: number, height: number, what: string): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError(`${what}: invalid image size ${width}x${height}`);
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ImageError(
      `${what}: image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} megapixels), more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels we decode`,
    );
  }
}

/** Throw unless a decoder that will hold `bytes` at its peak stays within LIMITS.imageDecodeBytes. */
export function checkDecodeBytes(bytes: number, width: number, height: number, what: string): void {
  if (bytes > LIMITS.imageDecodeBytes.value)
    throw new ImageError(beyond(what, 'imageDecodeBytes', bytes, `decoding this ${width}x${height} image`));
}

/** Validate a caller-built RgbImage (sizes and buffer length). */
export function checkRgbImage(image: RgbImage, what = 'image'): void {
  checkImageSize(image.width, image.height, what);
  if (image.data.length !== image.width * image.height * 3) {
    throw new ImageError(
      `${what}: ${image.width}x${image.height} RGB needs ${image.width * image.height * 3} bytes, got ${image.data.length}`,
    );
  }
}

/**
 * RGBA (e.g. canvas ImageData) to RGB. Alpha is dropped, not composited on any background: that is what
 * PIL's `.convert('RGB')` does, which the reference pipelines apply.
 */
export function rgbaToRgb(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): RgbImage {
  checkImageSize(width, height, 'RGBA image');
  if (rgba.length !== width * height * 4)
    throw new ImageError(`RGBA image: ${width}x${height} needs ${width * height * 4} bytes, got ${rgba.length}`);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i];
    data[j + 1] = rgba[i + 1];
    data[j + 2] = rgba[i + 2];
  }
  return { width, height, data };
}
