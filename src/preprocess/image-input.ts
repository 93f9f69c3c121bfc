// Every form of image the library accepts, and its decoding to the one type preprocessing works on (RgbImage).
import { decodeImage } from './decode';
import { loadBrowserImage } from './image-browser';
import { checkRgbImage, rgbaToRgb, type RgbImage } from './rgb-image';

/**
 * An image in any form the library accepts. Node (with bridgetower-webgpu/node): PNG/JPEG/WebP bytes, a file path
 * (against the working directory) or a file: URL. Browser: also Blob/File, URL, bitmap, canvas.
 */
export type ImageInput =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | string
  | URL
  | { width: number; height: number; data: Uint8Array | Uint8ClampedArray; channels?: 3 | 4 }
  | ImageBitmap
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageData;

/** Decode any accepted image form to 8-bit RGB. */
export async function toRgb(image: ImageInput): Promise<RgbImage> {
  if (image instanceof Uint8Array) return decodeImage(image);
  if (image instanceof ArrayBuffer) return decodeImage(new Uint8Array(image));
  if (
    typeof image === 'object' &&
    'data' in image &&
    'width' in image &&
    !(typeof ImageData !== 'undefined' && image instanceof ImageData)
  ) {
    const { width, height, data } = image;
    const channels =
      'channels' in image && image.channels ? image.channels : data.length === width * height * 4 ? 4 : 3;
    if (channels === 4) return rgbaToRgb(width, height, data);
    const rgb = { width, height, data: data instanceof Uint8Array ? data : new Uint8Array(data) };
    checkRgbImage(rgb);
    return rgb;
  }
  return loadBrowserImage(image);
}
