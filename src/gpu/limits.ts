// The device's limits applied to what the runtime is asked for: the size of one storage binding, the size of an
// uploaded buffer, an upload's byte count against its shape, and a dispatch's workgroup counts. A request past a limit is a LimitError that
// names the tensor, the bytes it needs and the limit (on which adapter).
import { LimitError } from '../errors';
import { describeAdapter, type GpuCaps } from './device';
import { tensorBytes, type GpuDType } from './tensor';

/** Throw a LimitError if a single binding of `bytes` exceeds what the device grants. */
export function checkBindingSize(caps: GpuCaps, what: string, bytes: number): void {
  if (bytes > caps.maxStorageBufferBindingSize) {
    throw new LimitError(
      `${what} needs a ${bytes}-byte storage binding; this device allows ${caps.maxStorageBufferBindingSize} ` +
        `(maxStorageBufferBindingSize on ${describeAdapter(caps)})`,
    );
  }
}

/** The byte size of an upload of `data`, after checking it against the shape and the device. */
export function uploadBytes(
  caps: GpuCaps,
  data: ArrayBufferView,
  shape: readonly number[],
  dtype: GpuDType,
  label: string,
): number {
  const bytes = tensorBytes(shape, dtype);
  if (bytes > caps.maxBufferSize) {
    throw new LimitError(
      `tensor ${label} needs a ${bytes}-byte buffer; this device allows ${caps.maxBufferSize} (maxBufferSize)`,
    );
  }
  const have = data.byteLength;
  const need = Math.ceil(bytes / 4) * 4;
  if (have > need || have < need - 3) {
    throw new LimitError(`upload ${label}: ${have} bytes given for shape [${shape.join(', ')}] ${dtype}`);
  }
  return bytes;
}

/** Throw a LimitError if a dispatch of `x` x `y` x `z` workgroups exceeds the device's count per dimension. */
export function checkWorkgroups(caps: GpuCaps, label: string, x: number, y: number, z: number): void {
  const maxDim = caps.maxComputeWorkgroupsPerDimension;
  if (x > maxDim || y > maxDim || z > maxDim) {
    throw new LimitError(`${label}: dispatch of ${x}x${y}x${z} workgroups exceeds ${maxDim} per dimension`);
  }
}
