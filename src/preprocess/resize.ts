// Bicubic resize of 8-bit RGB, bit-exact with PIL's `Image.resize(size, Image.BICUBIC)` (libImaging/Resample.c):
// a separable convolution with the a = -0.5 cubic (support 2), widened by the scale factor when shrinking
// (antialiasing), coefficients normalised per output pixel and turned into fixed point with 22 fraction
// bits, each pass rounding and clamping to uint8. The horizontal pass runs first, except for images more
// than 100 times taller than wide that shrink vertically, where PIL's resize() goes vertical first.
import { ImageError } from '../errors';
import { beyond, LIMITS } from '../common/limits';
import { untrusted } from '../common/untrusted';
import type { RgbImage } from './rgb-image';

/** Fraction bits of the fixed-point coefficients: 32 - 8 (pixel) - 2 (headroom for negative lobes). */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);
const SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** One axis: for each output index, the first input index, the tap count and the fixed-point weights. */
interface Coefficients {
  /** Taps per output index (the stride of `weights`). */
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
}

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  const invFilterScale = 1 / filterScale;
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C truncation toward zero of (center ± support + 0.5), then clamped to the image.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = bicubic((x + xmin - center + 0.5) * invFilterScale);
      total += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = total !== 0 ? w[x] / total : w[x];
      // Rounded half away from zero, truncated toward zero like the C cast.
      weights[xx * ksize + x] = Math.trunc(k < 0 ? -0.5 + k * ONE : 0.5 + k * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

/** The accumulator (with its rounding half already added) back to a pixel: arithmetic shift, then clamp. */
function clip8(acc: number): number {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontal(src: Uint8Array, inW: number, h: number, outW: number): Uint8Array {
  const { ksize, start, count, weights } = coefficients(inW, outW);
  const out = new Uint8Array(outW * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * inW * 3;
    for (let xx = 0; xx < outW; xx++) {
      let r = HALF,
        g = HALF,
        b = HALF;
      const k0 = xx * ksize;
      let p = row + start[xx] * 3;
      for (let x = 0; x < count[xx]; x++, p += 3) {
        const k = weights[k0 + x];
        r += src[p] * k;
        g += src[p + 1] * k;
        b += src[p + 2] * k;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

function vertical(src: Uint8Array, w: number, inH: number, outH: number): Uint8Array {
  const { ksize, start, count, weights } = coefficients(inH, outH);
  const out = new Uint8Array(w * outH * 3);
  const stride = w * 3;
  for (let yy = 0; yy < outH; yy++) {
    const k0 = yy * ksize;
    const first = start[yy] * stride;
    for (let c = 0; c < stride; c++) {
      let acc = HALF;
      for (let y = 0, p = first + c; y < count[yy]; y++, p += stride) acc += src[p] * weights[k0 + y];
      out[yy * stride + c] = clip8(acc);
    }
  }
  return out;
}

/** Resize to width x height with PIL's bicubic filter. The same size returns a copy. */
export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1)
    throw new ImageError(`resize: target ${untrusted(width)}x${untrusted(height)} is not a positive size`);
  if (width * height > LIMITS.resizedPixels.value)
    throw new ImageError(beyond('resize', 'resizedPixels', width * height, `target ${width}x${height}`));
  const { width: inW, height: inH } = image;
  let data = image.data;
  const tallShrink = inH > inW * 100 && height < inH;
  if (tallShrink) {
    if (height !== inH) data = vertical(data, inW, inH, height);
    if (width !== inW) data = horizontal(data, inW, height, width);
  } else {
    if (width !== inW) data = horizontal(data, inW, inH, width);
    if (height !== inH) data = vertical(data, width, inH, height);
  }
  return { width, height, data: data === image.data ? data.slice() : data };
}
