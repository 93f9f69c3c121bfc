// Images as a page has them (File, Blob, URL, ImageBitmap, canvas, <img>, ImageData) to 8-bit RGB.
// PNG, JPEG and WebP bytes go through our own decoders, so the page and Node see the same pixels; other
// formats (GIF, AVIF, BMP...) and already-decoded sources go through the browser's decoder and a canvas.
// Canvas pixels differ from PIL's where alpha is 0: the browser keeps premultiplied colour, so fully
// transparent pixels read back as black, whereas PIL's convert('RGB') keeps whatever colour they stored.
import { AbortedError, ImageError } from '../errors';
import { decodeImage, isDecodable } from './decode';
import { checkImageSize, rgbaToRgb, type RgbImage } from './rgb-image';

export type BrowserImageSource =
  Blob | string | URL | ImageBitmap | ImageData | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement;

const has = (name: string) => typeof (globalThis as Record<string, unknown>)[name] !== 'undefined';

/** Decode any image source a page may hold. `signal` aborts a URL fetch. */
export async function loadBrowserImage(source: BrowserImageSource, signal?: AbortSignal): Promise<RgbImage> {
  if (typeof source === 'string' || source instanceof URL)
    return decodeBlob(await fetchImage(String(source), signal), String(source));
  if (source instanceof Blob) return decodeBlob(source, source instanceof File ? source.name : 'image');
  if ('data' in source) return rgbaToRgb(source.width, source.height, source.data);
  if ('naturalWidth' in source) {
    if (!source.complete || source.naturalWidth === 0)
      throw new ImageError(`${source.currentSrc || 'image element'}: not loaded, or not a decodable image`);
    return drawToRgb(source, source.naturalWidth, source.naturalHeight);
  }
  return drawToRgb(source, source.width, source.height);
}

async function fetchImage(url: string, signal?: AbortSignal): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw new AbortedError(`fetching ${url} was aborted`);
    throw new ImageError(`${url}: cannot fetch (${(e as Error).message})`);
  }
  if (!response.ok) throw new ImageError(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response.blob();
}

async function decodeBlob(blob: Blob, name: string): Promise<RgbImage> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (isDecodable(bytes)) return decodeImage(bytes, name);
  // Without a browser decoder (Node), let decodeImage report what the bytes are not.
  if (!has('createImageBitmap')) return decodeImage(bytes, name);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new ImageError(`${name}: not an image this browser can decode (${(e as Error).message})`);
  }
  try {
    return drawToRgb(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

function drawToRgb(source: CanvasImageSource, width: number, height: number): RgbImage {
  checkImageSize(width, height, 'image');
  if (!has('OffscreenCanvas'))
    throw new ImageError('reading pixels from a canvas or bitmap needs OffscreenCanvas, which this environment lacks');
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageError('cannot get a 2D canvas context to read the image pixels');
  ctx.drawImage(source, 0, 0);
  return rgbaToRgb(width, height, ctx.getImageData(0, 0, width, height).data);
}
