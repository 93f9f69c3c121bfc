// Host-side tensors as the checkpoint readers hand them out: no GPU, no files.

// q8 / q4: quantized matrices of the web format (quantize.ts): packed integer codes in `data` (Uint8Array)
// and their f32 `scales`.
export type DType = 'f32' | 'f16' | 'bf16' | 'f64' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool' | 'q8' | 'q4';

export type TypedData =
  Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface HostTensor {
  dtype: DType;
  shape: number[];
  /** Row-major, contiguous. f16 and bf16 are raw Uint16Array bits. */
  data: TypedData;
  /** q8 / q4 only: one scale per row (q8) or per block of 32 elements of a row (q4). */
  scales?: Float32Array;
}

export const DTYPE_BYTES: Record<DType, number> = {
  f32: 4,
  f16: 2,
  bf16: 2,
  f64: 8,
  i64: 8,
  i32: 4,
  i16: 2,
  i8: 1,
  u8: 1,
  bool: 1,
  // Codes only: the scales come on top (quantize.ts, quantLayout).
  q8: 1,
  q4: 0.5,
};

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** View `bytes` (exactly one tensor's data) as a typed array of its dtype, copying only if misaligned. */
export function typedView(dtype: DType, bytes: Uint8Array): TypedData {
  const width = DTYPE_BYTES[dtype];
  // Uint8Array.prototype.slice copies even when `bytes` is a Node Buffer (whose own slice is a view).
  const aligned = bytes.byteOffset % width === 0 ? bytes : Uint8Array.prototype.slice.call(bytes);
  const { buffer, byteOffset, byteLength } = aligned;
  const n = byteLength / width;
  switch (dtype) {
    case 'f32':
      return new Float32Array(buffer, byteOffset, n);
    case 'f64':
      return new Float64Array(buffer, byteOffset, n);
    case 'f16':
    case 'bf16':
      return new Uint16Array(buffer, byteOffset, n);
    case 'i64':
      return new BigInt64Array(buffer, byteOffset, n);
    case 'i32':
      return new Int32Array(buffer, byteOffset, n);
    case 'i16':
      return new Int16Array(buffer, byteOffset, n);
    case 'i8':
      return new Int8Array(buffer, byteOffset, n);
    case 'u8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, n);
    case 'q8':
    case 'q4':
      throw new Error(`typedView: ${dtype} tensors carry scales (quantize.ts, fromQuantBytes)`);
  }
}
