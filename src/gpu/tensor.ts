// A tensor on the GPU: a storage buffer, a row-major shape and an element type.
// f16 tensors are stored as packed pairs of halves in u32 words (read with unpack2x16float), so they work
// on adapters without `shader-f16`; their buffers are padded to a whole word. q8 / q4 tensors are quantized
// weight matrices (src/common/quantize.ts): packed integer codes in u32 words, and their f32 `scales`.
import { ShapeError } from '../errors';

export type GpuDType = 'f32' | 'f16' | 'i32' | 'u32' | 'q8' | 'q4';

export const GPU_DTYPE_BYTES: Record<GpuDType, number> = { f32: 4, f16: 2, i32: 4, u32: 4, q8: 1, q4: 0.5 };

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(`bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Bytes a tensor occupies: rounded up to 4 (whole u32 words) and never 0 (WebGPU bindings need a size). */
export function tensorBytes(shape: readonly number[], dtype: GpuDType): number {
  return Math.max(4, Math.ceil((elementCount(shape) * GPU_DTYPE_BYTES[dtype]) / 4) * 4);
}

export class GpuTensor {
  private released = false;

  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: GpuDType,
    /** Called once by release(): hands the buffer back to the pool, or destroys an owned one. */
    private readonly onRelease: (buffer: GPUBuffer) => void,
    readonly label = '',
    /** q8 / q4: the f32 scales (one per row, or per 32 elements of a row); released with the codes. */
    readonly scales?: GpuTensor,
  ) {}

  /** This tensor with `scales` attached: the new tensor owns both buffers. */
  withScales(scales: GpuTensor): GpuTensor {
    return new GpuTensor(
      this.buffer,
      this.shape,
      this.dtype,
      (b) => {
        this.onRelease(b);
        scales.release();
      },
      this.label,
      scales,
    );
  }

  get size(): number {
    return elementCount(this.shape);
  }
  get byteLength(): number {
    return tensorBytes(this.shape, this.dtype);
  }

  /** Same buffer, another shape of the same element count (no copy). The view does not own the buffer. */
  reshape(shape: readonly number[]): GpuTensor {
    if (elementCount(shape) !== this.size) {
      throw new ShapeError(`cannot reshape [${this.shape.join(', ')}] to [${shape.join(', ')}]`);
    }
    return new GpuTensor(this.buffer, shape.slice(), this.dtype, () => {}, this.label, this.scales);
  }

  /** Give the memory back. Safe while commands using it are recorded but not submitted: the GPU runs them in order. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this.buffer);
  }

  get isReleased(): boolean {
    return this.released;
  }
}

/** Throw a ShapeError unless `t` has exactly `shape` (-1 matches any size) and, if given, `dtype`. */
export function expectShape(what: string, t: GpuTensor, shape: readonly number[], dtypes?: readonly GpuDType[]): void {
  const ok = t.shape.length === shape.length && shape.every((d, i) => d < 0 || d === t.shape[i]);
  if (!ok) {
    throw new ShapeError(
      `${what}: expected shape [${shape.map((d) => (d < 0 ? '?' : d)).join(', ')}], got [${t.shape.join(', ')}]`,
    );
  }
  if (dtypes && !dtypes.includes(t.dtype)) {
    throw new ShapeError(`${what}: expected dtype ${dtypes.join(' or ')}, got ${t.dtype}`);
  }
}
