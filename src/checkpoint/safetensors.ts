// safetensors: 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the data.
import { CheckpointError } from '../errors';
import type { ByteSource } from './byte-source';
import type { RawCheckpoint, TensorRecord } from './records';
import { DTYPE_BYTES, numel, typedView, type DType, type HostTensor } from '../common/tensor';
import { untrusted } from '../common/untrusted';

const DTYPES: Record<string, DType> = {
  F32: 'f32',
  F16: 'f16',
  BF16: 'bf16',
  F64: 'f64',
  I64: 'i64',
  I32: 'i32',
  I16: 'i16',
  I8: 'i8',
  U8: 'u8',
  BOOL: 'bool',
};

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Byte offset where tensor data starts (8 + N). */
  dataStart: number;
}

/** Largest header we accept; real files have headers of a few hundred KiB. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * Parse the header. `prefix` must hold at least the first 8 + N bytes; `fileSize` bounds the offsets.
 * Returns the number of bytes needed if `prefix` is too short.
 */
export function parseSafetensorsHeader(
  prefix: Uint8Array,
  fileSize: number,
  file: string,
): SafetensorsHeader | { need: number } {
  if (fileSize < 8)
    throw new CheckpointError(
      file,
      `not a safetensors file: ${fileSize} bytes is shorter than the 8-byte header length`,
    );
  if (prefix.byteLength < 8) return { need: 8 };
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || 8n + n > BigInt(fileSize)) {
    throw new CheckpointError(file, `not a safetensors file: header length ${n} does not fit in ${fileSize} bytes`);
  }
  const headerLen = Number(n);
  if (prefix.byteLength < 8 + headerLen) return { need: 8 + headerLen };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new CheckpointError(file, `safetensors header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(file, 'safetensors header is not a JSON object');
  }
  const dataStart = 8 + headerLen;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object') metadata = raw as Record<string, string>;
      continue;
    }
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof r?.dtype === 'string' ? DTYPES[r.dtype] : undefined;
    if (!dtype) throw new CheckpointError(file, `tensor ${name}: unsupported dtype ${untrusted(r?.dtype)}`);
    const shape = r.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CheckpointError(file, `tensor ${name}: bad shape ${untrusted(shape)}`);
    }
    const off = r.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new CheckpointError(file, `tensor ${name}: bad data_offsets ${untrusted(off)}`);
    }
    const begin = dataStart + off[0],
      end = dataStart + off[1];
    const bytes = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== bytes) {
      throw new CheckpointError(
        file,
        `tensor ${name}: data_offsets span ${end - begin} bytes, shape ${JSON.stringify(shape)} ${dtype} needs ${bytes}`,
      );
    }
    if (end > fileSize)
      throw new CheckpointError(
        file,
        `tensor ${name}: data ends at byte ${end}, past the end of the file (${fileSize} bytes)`,
      );
    entries.set(name, { name, dtype, shape: shape.slice(), begin, end });
  }
  return { entries, metadata, dataStart };
}

/** Read every tensor of an in-memory safetensors file. */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, HostTensor> {
  const header = parseSafetensorsHeader(bytes, bytes.byteLength, file);
  if ('need' in header)
    throw new CheckpointError(
      file,
      `truncated: the header needs ${header.need} bytes, the file has ${bytes.byteLength}`,
    );
  const out = new Map<string, HostTensor>();
  for (const e of header.entries.values()) {
    out.set(e.name, { dtype: e.dtype, shape: e.shape, data: typedView(e.dtype, bytes.subarray(e.begin, e.end)) });
  }
  return out;
}

/** Open a safetensors file for lazy reads: only the header is read now. */
export async function openSafetensors(source: ByteSource): Promise<RawCheckpoint> {
  const file = source.name;
  let header = parseSafetensorsHeader(await source.read(0, Math.min(8, source.size)), source.size, file);
  if ('need' in header) header = parseSafetensorsHeader(await source.read(0, header.need), source.size, file);
  if ('need' in header) throw new CheckpointError(file, 'safetensors header could not be read');
  const tensors = new Map<string, TensorRecord>();
  for (const e of header.entries.values()) {
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      read: async () => ({
        dtype: e.dtype,
        shape: e.shape.slice(),
        data: typedView(e.dtype, await source.read(e.begin, e.end - e.begin)),
      }),
    });
  }
  return { file, format: 'safetensors', tensors, close: () => source.close() };
}
