// The images a task is given, checked and decoded: every form ImageInput allows, paths and file: URLs read
// from disk in Node (through the platform), anything else refused with an ImageError naming the argument.
import { ImageError } from '../errors';
import { decodeImage } from '../preprocess/decode';
import { toRgb } from '../preprocess/image-input';
import type { RgbImage } from '../preprocess/rgb-image';
import { hasScheme, inNodeWithoutNodeEntry, NODE_ENTRY_HINT, platform, resolveUrl } from './platform';
import type { ImageInput } from './types';

/** Browser classes an image may be, where the runtime has them. */
const BROWSER_IMAGE_CLASSES = [
  'Blob',
  'ImageBitmap',
  'ImageData',
  'HTMLCanvasElement',
  'OffscreenCanvas',
  'HTMLImageElement',
] as const;

function isBrowserImage(image: object): boolean {
  const g = globalThis as Record<string, unknown>;
  return BROWSER_IMAGE_CLASSES.some((c) => typeof g[c] === 'function' && image instanceof (g[c] as new () => object));
}

function isPixelObject(image: object): boolean {
  const p = image as { width?: unknown; height?: unknown; data?: unknown };
  return (
    typeof p.width === 'number' &&
    typeof p.height === 'number' &&
    (p.data instanceof Uint8Array || p.data instanceof Uint8ClampedArray)
  );
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'no prototype'})`;
  return `${typeof v === 'undefined' ? 'undefined' : `a ${typeof v}`}`;
}

/** An ImageError unless `image` is one of the forms ImageInput allows. `name` says which argument it is. */
export function checkImage(image: unknown, name: string): asserts image is ImageInput {
  if (typeof image === 'string') {
    if (image.trim() === '') throw new ImageError(`${name} is an empty string, not a path or URL`);
    return;
  }
  if (
    typeof image === 'object' &&
    image !== null &&
    (image instanceof Uint8Array ||
      image instanceof ArrayBuffer ||
      image instanceof URL ||
      isPixelObject(image) ||
      isBrowserImage(image))
  )
    return;
  throw new ImageError(
    `${name} is ${describeValue(image)}: an image is bytes (PNG, JPEG), a path or URL, a Blob, ` +
      '{ width, height, data }, an ImageBitmap, a canvas or ImageData',
  );
}

/** One image as 8-bit RGB: local files read through the platform (Node), the rest as toRgb decodes them. */
export async function readImage(image: ImageInput, name: string): Promise<RgbImage> {
  if (typeof image !== 'string' && !(image instanceof URL)) return toRgb(image);
  const label = String(image);
  const isPath = typeof image === 'string' && !hasScheme(image);
  const url = resolveUrl(image);
  if (isPath || url.protocol === 'file:') {
    const read = platform().readFile;
    if (read && url.protocol === 'file:') {
      let bytes: Uint8Array;
      try {
        bytes = await read(url);
      } catch (e) {
        throw new ImageError(`${label}: cannot read (${(e as { code?: string }).code ?? (e as Error).message})`);
      }
      return decodeImage(bytes, label);
    }
    if (inNodeWithoutNodeEntry()) throw new ImageError(`${name} ${label} is a local file: ${NODE_ENTRY_HINT}`);
  }
  return toRgb(image);
}
