// Image files to RGB, by content (not by file name): PNG and JPEG with our decoders, so Node and the
// browser give the same pixels. Other formats are the browser module's job (image-browser.ts).
import { ImageError } from '../errors';
import { decodeJpeg, isJpeg } from './jpeg';
import { decodePng, isPng } from './png';
import type { RgbImage } from './rgb-image';

export function isDecodable(bytes: Uint8Array): boolean {
  return isPng(bytes) || isJpeg(bytes);
}

/** Decode PNG or JPEG bytes. `file` names the image in error messages. */
export async function decodeImage(bytes: Uint8Array, file = 'image'): Promise<RgbImage> {
  if (isPng(bytes)) return decodePng(bytes, file);
  if (isJpeg(bytes)) return decodeJpeg(bytes, file);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ImageError(
    `${file}: not a PNG or JPEG image (${bytes.length === 0 ? 'empty file' : `starts with ${head}`})`,
  );
}
