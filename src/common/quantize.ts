// Symmetric integer quantization of weight matrices for the web format's q8 and q4 dtypes.
// A matrix is its tensor viewed as [rows = shape[0], cols = the product of the rest] (conv1 [Hv, 3, P, P] is
// the [Hv, 3·P·P] matrix the patch-embedding linear reads).
//   q8: code = round(w / s) in [-127, 127], one f32 scale s = max|w| / 127 per row (output channel).
//   q4: code = round(w / s) in [-7, 7], one f32 scale s = max|w| / 7 per block of Q4_BLOCK consecutive elements
//       of a row (a row's last block may be shorter); scale index = row · ceil(cols / Q4_BLOCK) + col / Q4_BLOCK.
// Dequantized w = code · s, so every value is within half a step (s / 2) of the original; an all-zero row or
// block has s = 0. Codes are packed in row-major element order i = row · cols + col, little-endian:
//   q8: byte i holds code i (two's complement), i.e. bits 8·(i % 4) of u32 word i / 4;
//   q4: bits 4·(i % 8) of u32 word i / 8 hold code i as a 4-bit two's complement nibble.
// Stored bytes = packed codes, zero-padded to a multiple of 4, then the scales as little-endian f32.
import { CheckpointError } from '../errors';
import { numel, type HostTensor } from './tensor';

export type QuantDType = 'q8' | 'q4';
export const QUANT_DTYPES: readonly QuantDType[] = ['q8', 'q4'];
export const Q4_BLOCK = 32;
const MAX_CODE: Record<QuantDType, number> = { q8: 127, q4: 7 };

export const isQuantDType = (d: string): d is QuantDType => d === 'q8' || d === 'q4';

/** [rows, cols] of a tensor read as a matrix. */
export function matrixShape(shape: readonly number[]): [number, number] {
  return [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
}

/** Elements one scale covers: a whole row (q8) or a block of 32 (q4). */
export const quantBlock = (dtype: QuantDType, cols: number): number => (dtype === 'q8' ? cols : Q4_BLOCK);

export interface QuantLayout {
  /** Bytes of packed codes (before padding). */
  codeBytes: number;
  /** Byte offset of the scales: codeBytes rounded up to a multiple of 4. */
  scalesOffset: number;
  scales: number;
  /** Total stored bytes. */
  length: number;
}

export function quantLayout(dtype: QuantDType, shape: readonly number[]): QuantLayout {
  const [rows, cols] = matrixShape(shape);
  const codeBytes = dtype === 'q8' ? rows * cols : Math.ceil((rows * cols) / 2);
  const scalesOffset = Math.ceil(codeBytes / 4) * 4;
  const scales = dtype === 'q8' ? rows : rows * Math.ceil(cols / Q4_BLOCK);
  return { codeBytes, scalesOffset, scales, length: scalesOffset + 4 * scales };
}

/**
 * The matrices that may be stored quantized: every Linear weight (`*.weight`, `*in_proj_weight`), conv1,
 * the word embedding table and the MLM decoder: every tensor of two or more dimensions except the position,
 * token-type and CLIP positional embeddings (added, not multiplied, and small).
 */
export function isQuantizable(name: string, shape: readonly number[]): boolean {
  return (
    shape.length >= 2 && name.endsWith('weight') && !/(position_embeddings|token_type_embeddings)\.weight$/.test(name)
  );
}

/** Quantize float values (a [rows, cols] matrix) to codes and scales. Non-finite values are an error. */
export function quantize(
  values: Float32Array | Float64Array,
  shape: readonly number[],
  dtype: QuantDType,
  name: string,
): HostTensor {
  const [rows, cols] = matrixShape(shape);
  const layout = quantLayout(dtype, shape);
  const data = new Uint8Array(layout.codeBytes);
  const scales = new Float32Array(layout.scales);
  const block = quantBlock(dtype, cols);
  const maxCode = MAX_CODE[dtype];
  const perRow = Math.ceil(cols / block) || 0;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < perRow; b++) {
      const from = r * cols + b * block,
        to = Math.min(from + block, (r + 1) * cols);
      let max = 0;
      for (let i = from; i < to; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) throw new CheckpointError(name, `cannot quantize to ${dtype}: element ${i} is ${v}`);
        max = Math.max(max, Math.abs(v));
      }
      const s = Math.fround(max / maxCode);
      scales[r * perRow + b] = s;
      if (s === 0) continue;
      for (let i = from; i < to; i++) {
        const code = Math.max(-maxCode, Math.min(maxCode, Math.round(values[i] / s)));
        if (dtype === 'q8') data[i] = code & 0xff;
        else data[i >> 1] |= (code & 0xf) << (4 * (i & 1));
      }
    }
  }
  return { dtype, shape: shape.slice(), data, scales };
}

/** The integer code of element i of packed q8/q4 data. */
export function codeAt(dtype: QuantDType, data: Uint8Array, i: number): number {
  if (dtype === 'q8') return (data[i] << 24) >> 24;
  return (((data[i >> 1] >> (4 * (i & 1))) & 0xf) << 28) >> 28;
}

/** The dequantized values code · scale, in float64 (the kernels' reference) or float32. */
export function dequantize(
  t: HostTensor,
  out: Float32Array | Float64Array = new Float64Array(numel(t.shape)),
): Float32Array | Float64Array {
  const dtype = t.dtype as QuantDType;
  const [rows, cols] = matrixShape(t.shape);
  const block = quantBlock(dtype, cols);
  const perRow = Math.ceil(cols / block) || 0;
  const data = t.data as Uint8Array,
    scales = t.scales!;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      out[i] = codeAt(dtype, data, i) * scales[r * perRow + Math.floor(c / block)];
    }
  }
  return out;
}

/** The stored bytes of a quantized tensor (codes, padding, scales). */
export function quantBytes(t: HostTensor): Uint8Array {
  const layout = quantLayout(t.dtype as QuantDType, t.shape);
  const out = new Uint8Array(layout.length);
  out.set(t.data as Uint8Array);
  out.set(new Uint8Array(t.scales!.buffer, t.scales!.byteOffset, t.scales!.byteLength), layout.scalesOffset);
  return out;
}

/** A quantized tensor from its stored bytes (the scales are copied when misaligned). */
export function fromQuantBytes(dtype: QuantDType, shape: readonly number[], bytes: Uint8Array): HostTensor {
  const layout = quantLayout(dtype, shape);
  let s = bytes.subarray(layout.scalesOffset, layout.length);
  if (s.byteOffset % 4) s = s.slice();
  return {
    dtype,
    shape: shape.slice(),
    data: bytes.subarray(0, layout.codeBytes),
    scales: new Float32Array(s.buffer, s.byteOffset, layout.scales),
  };
}

/** Stack quantized matrices of one dtype and one column count along their rows. */
export function concatQuantRows(parts: HostTensor[]): HostTensor {
  const dtype = parts[0].dtype as QuantDType;
  const cols = matrixShape(parts[0].shape)[1];
  const rows = parts.reduce((s, p) => s + p.shape[0], 0);
  const shape = [rows, ...parts[0].shape.slice(1)];
  const layout = quantLayout(dtype, shape);
  const data = new Uint8Array(layout.codeBytes);
  const scales = new Float32Array(layout.scales);
  let e = 0,
    s = 0;
  for (const p of parts) {
    const n = p.shape[0] * cols;
    const src = p.data as Uint8Array;
    if (dtype === 'q8') data.set(src, e);
    else for (let i = 0; i < n; i++) data[(e + i) >> 1] |= (codeAt(dtype, src, i) & 0xf) << (4 * ((e + i) & 1));
    scales.set(p.scales!, s);
    e += n;
    s += p.scales!.length;
  }
  return { dtype, shape, data, scales };
}
