// JPEG (baseline and progressive, greyscale and YCbCr) through the `jpeg-js` package, behind our own
// checks: the frame size is read from the SOF marker and bounded before any pixel is allocated, and every
// failure (truncated file, bad marker, unsupported colour model) becomes a one-line ImageError.
// EXIF orientation is not applied, as PIL's Image.open does not apply it.
import jpeg from 'jpeg-js';
import { ImageError } from '../errors';
import { checkImageSize, MAX_IMAGE_PIXELS, type RgbImage } from './rgb-image';

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Width and height from the first SOFn marker, or undefined if the markers end before one. */
function frameSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return undefined;
    const marker = bytes[pos + 1];
    if (marker === 0xff) { pos++; continue; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { pos += 2; continue; }
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 9 > bytes.length) return undefined;
      return { height: (bytes[pos + 5] << 8) | bytes[pos + 6], width: (bytes[pos + 7] << 8) | bytes[pos + 8] };
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    pos += 2 + length;
  }
  return undefined;
}

/** Decode a JPEG file to 8-bit RGB (greyscale replicated to the three channels). */
export function decodeJpeg(bytes: Uint8Array, file = 'JPEG'): RgbImage {
  if (!isJpeg(bytes)) throw new ImageError(`${file}: not a JPEG file (no SOI marker)`);
  const size = frameSize(bytes);
  if (!size) throw new ImageError(`${file}: truncated or corrupt JPEG: no frame header (SOF) before the image data`);
  checkImageSize(size.width, size.height, file);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    throw new ImageError(`${file}: truncated or corrupt JPEG (${(e as Error).message})`);
  }
  if (decoded.width !== size.width || decoded.height !== size.height || decoded.data.length !== size.width * size.height * 3) {
    throw new ImageError(`${file}: corrupt JPEG: decoded ${decoded.width}x${decoded.height}, the frame header says ${size.width}x${size.height}`);
  }
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}
