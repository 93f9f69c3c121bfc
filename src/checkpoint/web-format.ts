// Our web weight format: a directory with manifest.json and binary shards of at most 64 MiB.
//
// manifest.json = {
//   format: "bridgetower-web", version: 1 | 2, dtype: "f32" | "f16" | "q8" | "q4",
//   config: BridgeTowerConfig, source: { file, format },
//   tokenizer?: { vocab: "vocab.json", merges: "merges.txt" }   (files beside the manifest, HF formats)
//   labels?: string[]                                             (VQA answers, index = logit)
//   shards: [{ file, length }],
//   tensors: [{ name, dtype, shape, shard, offset, length, crc32, block?, scales? }]
// }
// dtype q8 / q4 (quantize.ts): the matrices (isQuantizable) are stored as packed integer codes followed by f32
// scales, one per `block` consecutive elements of a row (q8: a whole row, q4: 32), `scales` of them; every
// other tensor is f32. Such files are version 2, which readers of version 1 refuse; f32 and f16 files stay
// version 1.
// A tensor's bytes (row-major, little-endian) start at `offset` in shards[shard]; every offset is a
// multiple of 256, so each tensor can go to the GPU straight from the fetched shard. A tensor larger
// than a shard starts a fresh shard and runs on into the following ones, which it fills completely.
// `crc32` (IEEE) covers the tensor's `length` bytes. The manifest is written last: a directory without
// one is an unfinished conversion.
import { AbortedError, ChecksumError, CheckpointError, MissingTensorError } from '../errors';
import type { BridgeTowerConfig } from '../common/config';
import { readJson, readText, type ByteSource, type Directory } from './byte-source';
import { crc32 } from './crc32';
import { checkTensors } from './describe';
import { toFloatDtype } from '../common/f16';
import {
  fromQuantBytes,
  isQuantDType,
  isQuantizable,
  matrixShape,
  quantBlock,
  quantBytes,
  quantize,
  quantLayout,
  type QuantDType,
} from '../common/quantize';
import { typedView } from '../common/tensor';
import { DTYPE_BYTES, numel, type DType, type HostTensor } from '../common/tensor';
import { mergesTxt, parseMergesTxt, parseVocabJson } from './tokenizer-files';
import type { TensorInfo, TokenizerFiles, WeightSet } from '../common/weight-set';

export const WEB_FORMAT = 'bridgetower-web';
/** The newest version this code reads and writes (2: quantized dtypes); f32 and f16 files are written as 1. */
export const WEB_FORMAT_VERSION = 2;
/** Weight dtypes a web-format directory can hold. */
export const WEB_DTYPES = ['f32', 'f16', 'q8', 'q4'] as const;
export type WebDType = (typeof WEB_DTYPES)[number];
export const isWebDType = (d: unknown): d is WebDType => WEB_DTYPES.includes(d as WebDType);
export const MANIFEST = 'manifest.json';
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;
export const TENSOR_ALIGNMENT = 256;

export interface ManifestTensor {
  name: string;
  dtype: WebDType;
  shape: number[];
  shard: number;
  offset: number;
  /** Bytes, scales included; crc32 covers all of them. */
  length: number;
  crc32: number;
  /** q8 / q4: elements per scale (a row for q8, 32 for q4) and the number of scales. */
  block?: number;
  scales?: number;
}

export interface Manifest {
  format: typeof WEB_FORMAT;
  version: 1 | 2;
  dtype: WebDType;
  config: BridgeTowerConfig;
  source?: { file: string; format: string };
  tokenizer?: { vocab: string; merges: string };
  labels?: string[];
  shards: Array<{ file: string; length: number }>;
  tensors: ManifestTensor[];
}

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

function validateManifest(x: unknown, file: string): Manifest {
  const bad = (what: string): never => {
    throw new CheckpointError(file, `not a valid web-format manifest: ${what}`);
  };
  if (!x || typeof x !== 'object') bad('not a JSON object');
  const m = x as Manifest;
  if (m.format !== WEB_FORMAT) bad(`format is ${JSON.stringify(m.format)}, expected ${JSON.stringify(WEB_FORMAT)}`);
  if (m.version !== 1 && m.version !== 2)
    bad(`version ${JSON.stringify(m.version)} is not supported (this reader knows 1 and 2)`);
  if (!isWebDType(m.dtype)) bad(`dtype ${JSON.stringify(m.dtype)} is not one of ${WEB_DTYPES.join(', ')}`);
  if (isQuantDType(m.dtype) && m.version !== 2) bad(`dtype ${m.dtype} needs version 2, the manifest says ${m.version}`);
  if (!m.config || typeof m.config !== 'object') bad('no config');
  if (
    !Array.isArray(m.shards) ||
    !m.shards.every(
      (s) =>
        s &&
        typeof s.file === 'string' &&
        !s.file.includes('/') &&
        !s.file.includes('\\') &&
        Number.isSafeInteger(s.length) &&
        s.length >= 0,
    )
  )
    bad('bad shards list');
  if (!Array.isArray(m.tensors)) bad('no tensors list');
  for (const t of m.tensors) {
    const ok =
      t &&
      typeof t.name === 'string' &&
      isWebDType(t.dtype) &&
      Array.isArray(t.shape) &&
      t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      Number.isSafeInteger(t.shard) &&
      Number.isSafeInteger(t.offset) &&
      Number.isSafeInteger(t.length) &&
      Number.isSafeInteger(t.crc32) &&
      t.shard >= 0 &&
      t.shard < m.shards.length &&
      t.offset >= 0 &&
      t.offset % TENSOR_ALIGNMENT === 0 &&
      (isQuantDType(t.dtype) || t.length === numel(t.shape) * DTYPE_BYTES[t.dtype]);
    if (!ok) bad(`bad tensor entry ${JSON.stringify(t).slice(0, 200)}`);
    if (isQuantDType(t.dtype)) checkQuantEntry(t, t.dtype, m.version, bad);
    let left = t.length - (m.shards[t.shard].length - t.offset);
    for (let s = t.shard + 1; left > 0; s++) {
      if (s >= m.shards.length) bad(`tensor ${t.name} runs past the last shard`);
      left -= m.shards[s].length;
    }
  }
  if (m.labels !== undefined && !(Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string')))
    bad('labels is not a list of strings');
  if (m.tokenizer !== undefined && !(typeof m.tokenizer.vocab === 'string' && typeof m.tokenizer.merges === 'string'))
    bad('bad tokenizer entry');
  return m;
}

function checkQuantEntry(t: ManifestTensor, dtype: QuantDType, version: number, bad: (what: string) => never): void {
  const where = `tensor ${t.name} (${dtype})`;
  if (version !== 2) bad(`${where} needs version 2, the manifest says ${version}`);
  if (t.shape.length < 2) bad(`${where} is not a matrix: shape ${JSON.stringify(t.shape)}`);
  const block = quantBlock(dtype, matrixShape(t.shape)[1]);
  const layout = quantLayout(dtype, t.shape);
  const what = dtype === 'q8' ? 'one scale per row' : '32 elements per scale';
  if (t.block !== block) bad(`${where} has block ${JSON.stringify(t.block)}; this reader supports ${block} (${what})`);
  if (t.scales !== layout.scales)
    bad(`${where} lists ${JSON.stringify(t.scales)} scales, its shape needs ${layout.scales}`);
  if (t.length !== layout.length) bad(`${where} is ${t.length} bytes, codes and scales need ${layout.length}`);
}

/** A web-format directory as a WeightSet; every tensor read is checked against its crc32. */
export class WebFormatWeights implements WeightSet {
  private readonly byName: Map<string, ManifestTensor>;
  private readonly shards = new Map<number, Promise<ByteSource>>();
  /** Tensors still to be read per shard: a fully read shard is released (URL shards are held in memory). */
  private readonly pending = new Map<number, number>();

  private constructor(
    readonly dir: Directory,
    readonly manifest: Manifest,
    readonly tokenizer?: TokenizerFiles,
  ) {
    this.byName = new Map(manifest.tensors.map((t) => [t.name, t]));
    for (const t of manifest.tensors)
      for (const s of this.shardsOf(t)) this.pending.set(s, (this.pending.get(s) ?? 0) + 1);
  }

  static async open(dir: Directory, manifestSource?: ByteSource): Promise<WebFormatWeights> {
    const src = manifestSource ?? (await dir.open(MANIFEST));
    if (!src) throw new CheckpointError(`${dir.name}/${MANIFEST}`, 'not found: not a web-format directory');
    let manifest: Manifest;
    try {
      manifest = validateManifest(await readJson(src), src.name);
    } finally {
      await src.close();
    }
    let tokenizer: TokenizerFiles | undefined;
    if (manifest.tokenizer) {
      const vocab = await dir.open(manifest.tokenizer.vocab);
      const merges = await dir.open(manifest.tokenizer.merges);
      if (!vocab || !merges)
        throw new CheckpointError(
          `${dir.name}/${MANIFEST}`,
          `tokenizer files ${manifest.tokenizer.vocab} / ${manifest.tokenizer.merges} are missing`,
        );
      tokenizer = {
        vocab: parseVocabJson(await readText(vocab), vocab.name),
        merges: parseMergesTxt(await readText(merges), merges.name),
      };
      await vocab.close();
      await merges.close();
    }
    const weights = new WebFormatWeights(dir, manifest, tokenizer);
    checkTensors(manifest.config, new Map(manifest.tensors.map((t) => [t.name, t])), `${dir.name}/${MANIFEST}`);
    return weights;
  }

  get source(): string {
    return this.dir.name;
  }
  get config(): BridgeTowerConfig {
    return this.manifest.config;
  }
  get labels(): string[] | undefined {
    return this.manifest.labels;
  }
  get skipped(): readonly string[] {
    return [];
  }
  get format(): string {
    return WEB_FORMAT;
  }

  names(): string[] {
    return this.manifest.tensors.map((t) => t.name);
  }

  info(name: string): TensorInfo | undefined {
    const t = this.byName.get(name);
    return t && { dtype: t.dtype, shape: t.shape.slice() };
  }

  private shardsOf(t: ManifestTensor): number[] {
    const out = [t.shard];
    let left = t.length - (this.manifest.shards[t.shard].length - t.offset);
    for (let s = t.shard + 1; left > 0; s++) {
      out.push(s);
      left -= this.manifest.shards[s].length;
    }
    return out;
  }

  private shard(i: number): Promise<ByteSource> {
    let p = this.shards.get(i);
    if (!p) {
      const file = this.manifest.shards[i].file;
      p = this.dir.open(file).then((src) => {
        if (!src) throw new CheckpointError(`${this.dir.name}/${file}`, 'shard file is missing');
        if (src.size !== this.manifest.shards[i].length)
          throw new CheckpointError(
            src.name,
            `shard holds ${src.size} bytes, the manifest says ${this.manifest.shards[i].length}`,
          );
        return src;
      });
      this.shards.set(i, p);
      p.catch(() => this.shards.delete(i));
    }
    return p;
  }

  async read(name: string): Promise<HostTensor> {
    const t = this.byName.get(name);
    if (!t) throw new MissingTensorError(name, this.dir.name);
    const parts = this.shardsOf(t);
    let bytes: Uint8Array;
    if (parts.length === 1) {
      bytes = await (await this.shard(t.shard)).read(t.offset, t.length);
    } else {
      bytes = new Uint8Array(t.length);
      let done = 0;
      for (const s of parts) {
        const src = await this.shard(s);
        const from = s === t.shard ? t.offset : 0;
        const take = Math.min(t.length - done, src.size - from);
        bytes.set(await src.read(from, take), done);
        done += take;
      }
    }
    const got = crc32(bytes);
    if (got !== t.crc32) {
      throw new ChecksumError(
        `${this.dir.name}/${this.manifest.shards[t.shard].file}`,
        `tensor ${name}: crc32 ${got.toString(16)} does not match the manifest's ${t.crc32.toString(16)}`,
      );
    }
    for (const s of parts) {
      const left = (this.pending.get(s) ?? 1) - 1;
      this.pending.set(s, left);
      if (left === 0) {
        const p = this.shards.get(s);
        this.shards.delete(s);
        await p?.then((src) => src.close());
      }
    }
    if (isQuantDType(t.dtype)) return fromQuantBytes(t.dtype, t.shape, bytes);
    return { dtype: t.dtype as DType, shape: t.shape.slice(), data: typedView(t.dtype, bytes) };
  }

  async close(): Promise<void> {
    const open = [...this.shards.values()];
    this.shards.clear();
    await Promise.all(
      open.map((p) =>
        p.then(
          (s) => s.close(),
          () => {},
        ),
      ),
    );
  }
}
