// Float64 math shared by the kernel references: erf and the activations built on it, a matmul, and the
// float16 rounding the GPU applies to f16-stored weights. Plain loops, written for clarity, not speed.
import { f16BitsToF32, f32ToF16Bits } from '../../common/f16';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x) to ~1e-16 absolute. For |x| < 6 it sums erf(x) = 2/√π · e^(-x²) · Σ x·(2x²)^n / (2n+1)!!, whose terms
 * are all positive (no cancellation); beyond 6, |erf| = 1 - erfc with erfc(6) ≈ 2e-17 below float64 resolution.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** GELU with the exact erf (PyTorch's default `nn.GELU()` / HF `gelu`). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** CLIP's QuickGELU: x·sigmoid(1.702x). */
export function quickGelu(x: number): number {
  return x / (1 + Math.exp(-1.702 * x));
}

export const tanh = Math.tanh;

/** HF's gelu_new (tanh approximation). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

export type Activation = 'gelu' | 'quickgelu' | 'tanh' | 'gelu_tanh' | 'relu' | 'silu';

export const ACTIVATIONS: Record<Activation, (x: number) => number> = {
  gelu,
  quickgelu: quickGelu,
  tanh,
  gelu_tanh: geluTanh,
  relu: (x) => Math.max(x, 0),
  silu: (x) => x / (1 + Math.exp(-x)),
};

/** Round values to float16: the bits to upload (two per u32 word) and the values the GPU will read. */
export function toF16(values: ArrayLike<number>): { bits: Uint16Array; values: Float32Array } {
  const bits = new Uint16Array(values.length + (values.length & 1));
  const rounded = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    bits[i] = f32ToF16Bits(values[i]);
    rounded[i] = f16BitsToF32(bits[i]);
  }
  return { bits, values: rounded };
}
