// Writing the web weight format (its layout: web-format.ts): shards planned up front, tensors streamed one at a
// time, the manifest written last.
import { AbortedError, CheckpointError } from '../errors';
import { crc32 } from '../common/crc32';
import { toFloatDtype } from '../common/f16';
import {
  isQuantDType,
  isQuantizable,
  matrixShape,
  quantBlock,
  quantBytes,
  quantize,
  quantLayout,
} from '../common/quantize';
import { DTYPE_BYTES, numel, type HostTensor } from '../common/tensor';
import { mergesTxt } from './tokenizer-files';
import type { TokenizerFiles, WeightSet } from '../common/weight-set';
import {
  isWebDType,
  MANIFEST,
  TENSOR_ALIGNMENT,
  WEB_DTYPES,
  WEB_FORMAT,
  type Manifest,
  type ManifestTensor,
  type WebDType,
} from './web-format';

export const MAX_SHARD_BYTES = 64 * 1024 * 1024;

/** One file being written sequentially. */
export interface FileSink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** Where a conversion writes: a Node directory (source-node.ts), OPFS or IndexedDB (web-storage-browser.ts). */
export interface WebFormatSink {
  readonly name: string;
  begin(): Promise<void>;
  create(file: string): Promise<FileSink>;
  writeFile(file: string, bytes: Uint8Array): Promise<void>;
  /** Delete a file (a stale manifest before a rewrite). */
  remove(file: string): Promise<void>;
}

export interface ConvertProgress {
  bytes: number;
  totalBytes: number;
  tensors: number;
  totalTensors: number;
  tensor: string;
}

export interface ConvertOptions {
  /** f16 stores every float tensor as float16; q8 / q4 quantize the matrices and keep the rest f32. */
  dtype?: WebDType;
  tokenizer?: TokenizerFiles;
  labels?: string[];
  /** Shard size limit (tests use small ones); at most MAX_SHARD_BYTES. */
  maxShardBytes?: number;
  onProgress?: (p: ConvertProgress) => void;
  signal?: AbortSignal;
}

export interface ConvertSummary {
  tensorsKept: number;
  tensorsSkipped: number;
  bytes: number;
  shards: number;
  seconds: number;
}

/** What conversion needs from a weight source beyond WeightSet. */
export interface ConvertibleWeights extends WeightSet {
  /** Source tensors left out (optimizer state is not even listed: it is never a tensor of the state dict). */
  readonly skipped: readonly string[];
  readonly format: string;
}

const align = (n: number): number => Math.ceil(n / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;
const shardFile = (i: number): string => `weights-${String(i).padStart(5, '0')}.bin`;

/** Place tensors of the given byte lengths into shards. */
export function planShards(
  lengths: number[],
  maxShardBytes: number,
): { places: Array<{ shard: number; offset: number }>; shardLengths: number[] } {
  const places: Array<{ shard: number; offset: number }> = [];
  const shardLengths: number[] = [];
  let shard = 0,
    used = 0;
  for (const length of lengths) {
    if (length > maxShardBytes) {
      if (used > 0) shard++;
      places.push({ shard, offset: 0 });
      let left = length;
      while (left > maxShardBytes) {
        shardLengths[shard++] = maxShardBytes;
        left -= maxShardBytes;
      }
      used = left;
      shardLengths[shard] = used;
      if (used === 0) shardLengths.pop();
      continue;
    }
    let offset = align(used);
    if (offset + length > maxShardBytes) {
      shard++;
      offset = 0;
    }
    places.push({ shard, offset });
    used = offset + length;
    shardLengths[shard] = used;
  }
  return { places, shardLengths };
}

/** Convert a weight source to the web format, one tensor at a time. */
export async function writeWebFormat(
  weights: ConvertibleWeights,
  sink: WebFormatSink,
  opts: ConvertOptions = {},
): Promise<ConvertSummary> {
  const started = performance.now();
  const dtype = opts.dtype ?? 'f32';
  if (!isWebDType(dtype)) {
    throw new CheckpointError(
      sink.name,
      `unknown weight dtype ${JSON.stringify(dtype)} (expected ${WEB_DTYPES.join(', ')})`,
    );
  }
  const maxShard = Math.min(opts.maxShardBytes ?? MAX_SHARD_BYTES, MAX_SHARD_BYTES);
  if (maxShard % TENSOR_ALIGNMENT)
    throw new CheckpointError(sink.name, `shard size ${maxShard} is not a multiple of ${TENSOR_ALIGNMENT}`);
  const names = weights.names();
  const infos = names.map((name) => weights.info(name)!);
  const stored = infos.map((info, i) => storedDtype(dtype, names[i], info.shape));
  const lengths = infos.map((info, i) => storedLength(stored[i], info.shape));
  const { places, shardLengths } = planShards(lengths, maxShard);
  const totalBytes = lengths.reduce((a, b) => a + b, 0);
  const tensors: ManifestTensor[] = [];

  await sink.begin();
  await sink.remove(MANIFEST);
  let current: FileSink | undefined;
  let currentShard = -1,
    currentPos = 0;
  const moveTo = async (shard: number, offset: number): Promise<void> => {
    if (shard !== currentShard) {
      if (current) {
        await padTo(shardLengths[currentShard]);
        await current.close();
      }
      current = await sink.create(shardFile(shard));
      currentShard = shard;
      currentPos = 0;
    }
    await padTo(offset);
  };
  const padTo = async (offset: number): Promise<void> => {
    if (offset > currentPos) await current!.write(new Uint8Array(offset - currentPos));
    currentPos = offset;
  };
  let written = 0;
  try {
    for (let i = 0; i < names.length; i++) {
      if (opts.signal?.aborted) throw new AbortedError('conversion aborted');
      const name = names[i];
      const bytes = encodeTensor(await weights.read(name), stored[i], name);
      if (bytes.byteLength !== lengths[i])
        throw new CheckpointError(
          weights.source,
          `tensor ${name}: read ${bytes.byteLength} bytes, expected ${lengths[i]}`,
        );
      let { shard, offset } = places[i];
      const entry: ManifestTensor = {
        name,
        dtype: stored[i],
        shape: infos[i].shape.slice(),
        shard,
        offset,
        length: bytes.byteLength,
        crc32: crc32(bytes),
      };
      if (isQuantDType(entry.dtype)) {
        entry.block = quantBlock(entry.dtype, matrixShape(entry.shape)[1]);
        entry.scales = quantLayout(entry.dtype, entry.shape).scales;
      }
      tensors.push(entry);
      for (let p = 0; p < bytes.byteLength || p === 0;) {
        await moveTo(shard, offset);
        const take = Math.min(bytes.byteLength - p, maxShard - offset);
        await current!.write(bytes.subarray(p, p + take));
        currentPos += take;
        p += take;
        shard++;
        offset = 0;
        if (take === 0) break;
      }
      written += bytes.byteLength;
      opts.onProgress?.({ bytes: written, totalBytes, tensors: i + 1, totalTensors: names.length, tensor: name });
    }
    if (current) {
      await padTo(shardLengths[currentShard]);
      await current.close();
      current = undefined;
    }
  } catch (e) {
    await current?.abort();
    throw e;
  }
  const manifest: Manifest = {
    format: WEB_FORMAT,
    version: isQuantDType(dtype) ? 2 : 1,
    dtype,
    config: weights.config,
    source: { file: weights.source.split(/[\\/]/).pop() ?? weights.source, format: weights.format },
    shards: shardLengths.map((length, i) => ({ file: shardFile(i), length })),
    tensors,
  };
  const tokenizer = opts.tokenizer ?? weights.tokenizer;
  if (tokenizer) {
    await sink.writeFile('vocab.json', new TextEncoder().encode(JSON.stringify(tokenizer.vocab)));
    await sink.writeFile('merges.txt', new TextEncoder().encode(mergesTxt(tokenizer.merges)));
    manifest.tokenizer = { vocab: 'vocab.json', merges: 'merges.txt' };
  }
  const labels = opts.labels ?? weights.labels;
  if (labels) manifest.labels = labels;
  await sink.writeFile(MANIFEST, new TextEncoder().encode(manifestJson(manifest)));
  return {
    tensorsKept: names.length,
    tensorsSkipped: weights.skipped.length,
    bytes: totalBytes,
    shards: shardLengths.length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The dtype a tensor is stored in: q8 / q4 only for the matrices, f32 for the rest of a quantized file. */
function storedDtype(dtype: WebDType, name: string, shape: readonly number[]): WebDType {
  if (!isQuantDType(dtype)) return dtype;
  return isQuantizable(name, shape) ? dtype : 'f32';
}

function storedLength(dtype: WebDType, shape: readonly number[]): number {
  return isQuantDType(dtype) ? quantLayout(dtype, shape).length : numel(shape) * DTYPE_BYTES[dtype];
}

function encodeTensor(t: HostTensor, dtype: WebDType, name: string): Uint8Array {
  if (t.dtype === dtype && isQuantDType(dtype)) return quantBytes(t);
  if (isQuantDType(dtype)) {
    return quantBytes(quantize(toFloatDtype(t, 'f32', name).data as Float32Array, t.shape, dtype, name));
  }
  const f = toFloatDtype(t, dtype, name);
  return new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength);
}

/** Indented JSON with one line per shard and per tensor, so manifests stay readable and diff well. */
function manifestJson(m: Manifest): string {
  const { shards, tensors, ...rest } = m;
  const head = JSON.stringify(rest, null, 1).replace(/\n}$/, '');
  const list = (xs: unknown[]): string => `[\n${xs.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n ]`;
  return `${head},\n "shards": ${list(shards)},\n "tensors": ${list(tensors)}\n}\n`;
}
