// Minimal safetensors writer (the layout safetensors.ts reads): 8-byte little-endian header
// length, a JSON header padded with spaces to a multiple of 8, then each tensor's little-endian bytes, in
// name order.
import { ShapeError } from '../errors';
import { numel } from '../common/tensor';

export type WritableTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'F16'; shape: number[]; data: Uint16Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array };

/** Serialise named tensors; `metadata` goes under `__metadata__`. Assumes a little-endian host, as WebGPU does. */
export function writeSafetensors(
  tensors: Record<string, WritableTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    if (numel(t.shape) !== t.data.length)
      throw new ShapeError(
        `safetensors: tensor ${name} has shape ${JSON.stringify(t.shape)} but ${t.data.length} elements`,
      );
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length)
    json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}
