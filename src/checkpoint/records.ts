// What each file reader hands the model description: tensors under the file's own names, read lazily.
import { CheckpointError } from '../errors';
import { DTYPE_BYTES, numel, type DType, type HostTensor } from '../common/tensor';
import { typedView } from '../common/tensor';

export interface TensorRecord {
  dtype: DType;
  shape: number[];
  /** Read this tensor's bytes now (row-major, contiguous). */
  read(): Promise<HostTensor>;
}

export type SourceFormat = 'torch-zip' | 'torch-legacy' | 'safetensors' | 'safetensors-sharded' | 'bin-sharded';

export interface RawCheckpoint {
  file: string;
  format: SourceFormat;
  tensors: Map<string, TensorRecord>;
  /** `hyper_parameters.config` of a Lightning checkpoint, as plain JSON-like data. */
  hyper?: Record<string, unknown>;
  close(): Promise<void>;
}

/** Where a tensor lives in a storage: element offset, sizes and strides (torch semantics). */
export interface StridedView {
  offset: number;
  shape: number[];
  stride: number[];
}

/** The contiguous element range [first, first + count) of a storage that a view touches. */
export function viewSpan(v: StridedView): { first: number; count: number; contiguous: boolean } {
  const n = numel(v.shape);
  if (n === 0) return { first: v.offset, count: 0, contiguous: true };
  let last = v.offset;
  let expected = 1;
  let contiguous = true;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    last += (v.shape[d] - 1) * v.stride[d];
    if (v.shape[d] !== 1 && v.stride[d] !== expected) contiguous = false;
    expected *= v.shape[d];
  }
  return { first: v.offset, count: last - v.offset + 1, contiguous };
}

/** Copy the elements of a strided view out of `span` (the bytes of the view's span, as given by viewSpan). */
export function gatherView(span: Uint8Array, elementBytes: number, v: StridedView): Uint8Array {
  const n = numel(v.shape);
  const out = new Uint8Array(n * elementBytes);
  const rank = v.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out.set(span.subarray(src * elementBytes, (src + 1) * elementBytes), i * elementBytes);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += v.stride[d];
      if (index[d] < v.shape[d]) break;
      src -= v.stride[d] * v.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Check a view against its storage before anything is read. */
export function checkView(file: string, what: string, v: StridedView, storageNumel: number): void {
  const ok =
    Number.isSafeInteger(v.offset) &&
    v.offset >= 0 &&
    v.shape.length === v.stride.length &&
    v.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    v.stride.every((s) => Number.isSafeInteger(s) && s >= 0);
  if (!ok)
    throw new CheckpointError(
      file,
      `${what}: bad tensor view (offset ${v.offset}, size ${JSON.stringify(v.shape)}, stride ${JSON.stringify(v.stride)})`,
    );
  // A saved parameter never holds more elements than its storage (that would take an expanded, stride-0 view).
  if (numel(v.shape) > storageNumel)
    throw new CheckpointError(
      file,
      `${what}: size ${JSON.stringify(v.shape)} has more elements than its ${storageNumel}-element storage`,
    );
  const { first, count } = viewSpan(v);
  if (numel(v.shape) > 0 && first + count > storageNumel) {
    throw new CheckpointError(
      file,
      `${what}: view (offset ${v.offset}, size ${JSON.stringify(v.shape)}, stride ${JSON.stringify(v.stride)}) reaches element ${first + count} of a ${storageNumel}-element storage`,
    );
  }
}

/** A record for a strided view into a storage whose bytes `readBytes(byteOffset, byteLength)` returns. */
export function viewRecord(
  dtype: DType,
  v: StridedView,
  readBytes: (offset: number, length: number) => Promise<Uint8Array>,
): TensorRecord {
  return {
    dtype,
    shape: v.shape,
    async read() {
      const w = DTYPE_BYTES[dtype];
      const { first, count, contiguous } = viewSpan(v);
      const bytes = await readBytes(first * w, count * w);
      const data = contiguous ? bytes : gatherView(bytes, w, v);
      return { dtype, shape: v.shape.slice(), data: typedView(dtype, data) };
    },
  };
}
