// Float conversions for the web format: f32 -> f16 with round-to-nearest-even (subnormals, overflow to
// infinity, NaN kept quiet), and the exact widenings f16/bf16 -> f32.
import { ShapeError } from '../errors';
import { dequantize } from './quantize';
import { numel, type HostTensor } from './tensor';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  return f32BitsToF16Bits(u32[0]);
}

/** The same on the raw bits of an f32 (so whole arrays convert through a Uint32Array view). */
export function f32BitsToF16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): keep 24 - (14 - e) bits of the implicit-1 mantissa, round to nearest even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, up to infinity: exactly what rounding wants.
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * A float tensor in f32 or f16; other float dtypes are widened exactly first (f64 rounds once to f32, q8/q4
 * dequantize to code · scale, exact in f32 for q4 and rounded once for q8).
 */
export function toFloatDtype(t: HostTensor, dtype: 'f32' | 'f16', name: string): HostTensor {
  if (t.dtype === dtype) return t;
  const n = numel(t.shape);
  let asF32: Float32Array;
  switch (t.dtype) {
    case 'f32':
      asF32 = t.data as Float32Array;
      break;
    case 'f64':
      asF32 = Float32Array.from(t.data as Float64Array);
      break;
    case 'f16': {
      asF32 = new Float32Array(n);
      const src = t.data as Uint16Array;
      for (let i = 0; i < n; i++) asF32[i] = f16BitsToF32(src[i]);
      break;
    }
    case 'bf16': {
      const src = t.data as Uint16Array;
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
      asF32 = new Float32Array(bits.buffer);
      break;
    }
    case 'q8':
    case 'q4':
      asF32 = dequantize(t, new Float32Array(n)) as Float32Array;
      break;
    default:
      throw new ShapeError(`tensor ${name}: ${t.dtype} is not a floating-point dtype`);
  }
  if (dtype === 'f32') return { dtype, shape: t.shape, data: asF32 };
  const out = new Uint16Array(n);
  const bits = new Uint32Array(asF32.buffer, asF32.byteOffset, n);
  for (let i = 0; i < n; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return { dtype, shape: t.shape, data: out };
}
