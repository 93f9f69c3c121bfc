// RGB image -> `pixel_values` in the three preprocessing modes of ../shared/MODEL.md, each reproducing its
// reference pipeline on a PIL image (resizes are PIL bicubic, see resize.ts):
//   hf    HF BridgeTowerImageProcessor: shortest edge S, long side capped at int(1333/800*S), sides rounded
//         with int(x + 0.5) then floored to a multiple of 32, centre crop top = (h-S)//2, left = (w-S)//2
//         (zero padding when the resized image is smaller than S), x * (1/255), then CLIP mean/std.
//   blip  the original's blip_transform: torchvision Resize((S, S)), i.e. a bicubic squash to S x S.
//   clip  the original's clip_transform: torchvision Resize(S) (short side S, long side int(S*long/short))
//         and CenterCrop(S) with offsets int(round((h-S)/2)) (Python rounds half to even).
// blip/clip then apply ToTensor (x / 255) and Normalize in float32, as torchvision does.
import { ImageError } from '../errors';
import type { HfImageProcessor, ImagePreprocess } from '../common/config';
import { CLIP_MEAN, CLIP_STD } from '../common/clip-normalize';
import { resizeBicubic } from './resize';
import { checkRgbImage, type RgbImage } from './rgb-image';
import { beyond, LIMITS } from '../common/limits';
import { untrusted } from '../common/untrusted';

export type { ImagePreprocess };
export const IMAGE_PREPROCESS_MODES: readonly ImagePreprocess[] = ['hf', 'blip', 'clip'];

export interface PreprocessOptions {
  /** Output side S. */
  size: number;
  mode: ImagePreprocess;
  /** hf mode: the model's preprocessor_config.json instead of HF's defaults (shortest edge S, divisor 32, CLIP mean/std). */
  processor?: HfImageProcessor;
}

/** Where the S x S window comes from: the resized size, then the window's top-left corner in it. */
export interface Geometry {
  resizedWidth: number;
  resizedHeight: number;
  /** Negative when the resized image is smaller than S (hf pads it with zeros, centred). */
  top: number;
  left: number;
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's floor division for the integers we meet. */
const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** The resize and crop of a width x height image; a resize past LIMITS.resizedPixels is an ImageError. */
export function geometry(width: number, height: number, options: PreprocessOptions): Geometry {
  const { size } = options;
  if (!Number.isSafeInteger(size) || size < 1)
    throw new ImageError(`preprocess: size must be a positive integer, got ${untrusted(size)}`);
  if (size > LIMITS.preprocessSide.value) throw new ImageError(beyond('preprocess', 'preprocessSide', size, 'size'));
  const g = unchecked(width, height, options);
  const pixels = g.resizedWidth * g.resizedHeight;
  if (pixels > LIMITS.resizedPixels.value)
    throw new ImageError(
      beyond(
        'preprocess',
        'resizedPixels',
        pixels,
        `a ${width}x${height} image resizes to ${g.resizedWidth}x${g.resizedHeight}`,
      ),
    );
  return g;
}

function unchecked(width: number, height: number, { size, mode, processor }: PreprocessOptions): Geometry {
  switch (mode) {
    case 'blip':
      return { resizedWidth: size, resizedHeight: size, top: 0, left: 0 };
    case 'clip': {
      const [short, long] = width <= height ? [width, height] : [height, width];
      const newLong = Math.trunc((size * long) / short);
      const [w, h] = width <= height ? [size, newLong] : [newLong, size];
      return {
        resizedWidth: w,
        resizedHeight: h,
        top: roundHalfEven((h - size) / 2),
        left: roundHalfEven((w - size) / 2),
      };
    }
    case 'hf': {
      const edge = processor?.shortestEdge ?? size,
        divisor = processor?.sizeDivisor ?? 32;
      if ((processor?.cropSize ?? size) !== size) {
        throw new ImageError(
          `preprocess: preprocessor_config.json crops to ${processor!.cropSize}, but the model takes ${size}x${size} images`,
        );
      }
      if (processor && !processor.doResize) {
        const offset = (side: number) => (side >= size ? floorDiv(side - size, 2) : -Math.ceil((size - side) / 2));
        return { resizedWidth: width, resizedHeight: height, top: offset(height), left: offset(width) };
      }
      if (edge < divisor) {
        throw new ImageError(
          `preprocess: hf mode floors sides to multiples of ${divisor}, so the shortest edge must be at least ${divisor}, ` +
            `got ${edge}`,
        );
      }
      const longer = Math.trunc((1333 / 800) * edge);
      const scale = edge / Math.min(width, height);
      let [h, w] = height < width ? [edge, scale * width] : [scale * height, edge];
      if (Math.max(h, w) > longer) {
        const s = longer / Math.max(h, w);
        h = s * h;
        w = s * w;
      }
      h = floorDiv(Math.trunc(h + 0.5), divisor) * divisor;
      w = floorDiv(Math.trunc(w + 0.5), divisor) * divisor;
      if (h === 0 || w === 0)
        throw new ImageError(
          `preprocess: a ${width}x${height} image is too elongated for hf mode at size ${size} (it resizes to ${w}x${h})`,
        );
      // HF's center_crop: a window larger than the image is centred with ceil((S - side) / 2) of padding.
      const offset = (side: number) => (side >= size ? floorDiv(side - size, 2) : -Math.ceil((size - side) / 2));
      return { resizedWidth: w, resizedHeight: h, top: offset(h), left: offset(w) };
    }
    default:
      throw new ImageError(
        `preprocess: unknown mode ${untrusted(mode)} (expected ${IMAGE_PREPROCESS_MODES.join(', ')})`,
      );
  }
}

/** Per-channel lookup from a uint8 value to its normalised float32, with the reference's float steps. */
function normalisationTables(mode: ImagePreprocess, processor: HfImageProcessor | undefined): Float32Array[] {
  const f = Math.fround;
  const hf = mode === 'hf' ? processor : undefined;
  return [0, 1, 2].map((c) => {
    const mean = f(hf?.mean[c] ?? CLIP_MEAN[c]),
      std = f(hf?.std[c] ?? CLIP_STD[c]);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      // HF rescale multiplies in float64 by rescale_factor and stores float32; torchvision divides in float32.
      const x = mode !== 'hf' ? f(v / 255) : hf && !hf.doRescale ? v : f(v * (hf?.rescaleFactor ?? 1 / 255));
      table[v] = hf && !hf.doNormalize ? x : f(f(x - mean) / std);
    }
    return table;
  });
}

/** Preprocess one image into a [3, S, S] float32 array (channel-major), ready for `pixel_values`. */
export function preprocessImage(image: RgbImage, options: PreprocessOptions): Float32Array {
  const out = new Float32Array(3 * options.size * options.size);
  preprocessInto(image, options, out, 0);
  return out;
}

/** `pixel_values` [B, 3, S, S] for a batch of images. */
export function pixelValues(
  images: readonly RgbImage[],
  options: PreprocessOptions,
): { data: Float32Array; shape: [number, number, number, number] } {
  const S = options.size;
  const data = new Float32Array(images.length * 3 * S * S);
  images.forEach((im, b) => preprocessInto(im, options, data, b * 3 * S * S));
  return { data, shape: [images.length, 3, S, S] };
}

function preprocessInto(image: RgbImage, options: PreprocessOptions, out: Float32Array, offset: number): void {
  checkRgbImage(image);
  const g = geometry(image.width, image.height, options);
  const resized = resizeBicubic(image, g.resizedWidth, g.resizedHeight);
  const tables = normalisationTables(options.mode, options.processor);
  const S = options.size;
  for (let c = 0; c < 3; c++) {
    const table = tables[c];
    const plane = offset + c * S * S;
    for (let y = 0; y < S; y++) {
      const sy = y + g.top;
      for (let x = 0; x < S; x++) {
        const sx = x + g.left;
        const inside = sy >= 0 && sy < resized.height && sx >= 0 && sx < resized.width;
        out[plane + y * S + x] = table[inside ? resized.data[(sy * resized.width + sx) * 3 + c] : 0];
      }
    }
  }
}
