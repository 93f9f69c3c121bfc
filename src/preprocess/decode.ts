// Image files to RGB, by content (not by file name): PNG, JPEG and WebP with our decoders, so Node and the
// browser give the same pixels. Other formats are named in the error; in a page, the browser module
// (image-browser.ts) hands them to the browser's own decoder instead.
import { ImageError } from '../errors';
import { decodeJpeg, isJpeg } from './jpeg';
import { decodePng, isPng } from './png';
import type { RgbImage } from './rgb-image';
import { decodeWebp, isWebp } from './webp';

export function isDecodable(bytes: Uint8Array): boolean {
  return isPng(bytes) || isJpeg(bytes) || isWebp(bytes);
}

const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));

/** The name of a format we recognise but do not decode, from its signature. */
function refusedFormat(bytes: Uint8Array): string | undefined {
  const head4 = ascii(bytes, 0, 4);
  if (head4 === 'GIF8') return 'GIF';
  if (head4 === 'II*\0' || head4 === 'MM\0*') return 'TIFF';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(bytes[14]))
    return 'BMP';
  if (head4 === 'RIFF') return `RIFF ${JSON.stringify(ascii(bytes, 8, 12))} (not WebP)`;
  if (ascii(bytes, 4, 8) === 'ftyp') {
    // ISO base media file: the major brand and the compatible brands say AVIF or HEIC/HEIF.
    const brands = ascii(bytes, 8, Math.min(bytes.length, 8 + 4 * 16));
    if (/avi[fs]/.test(brands)) return 'AVIF';
    if (/he[iv][cxms]|mif1|msf1/.test(brands)) return 'HEIC/HEIF';
  }
  return undefined;
}

/** Decode PNG, JPEG or WebP bytes. `file` names the image in error messages. */
export async function decodeImage(bytes: Uint8Array, file = 'image'): Promise<RgbImage> {
  if (isPng(bytes)) return decodePng(bytes, file);
  if (isJpeg(bytes)) return decodeJpeg(bytes, file);
  if (isWebp(bytes)) return decodeWebp(bytes, file);
  const format = refusedFormat(bytes);
  if (format) throw new ImageError(`${file}: ${format} images are not supported here; convert it to PNG, JPEG or WebP`);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ImageError(
    `${file}: not a PNG, JPEG or WebP image (${bytes.length === 0 ? 'empty file' : `starts with ${head}`})`,
  );
}
