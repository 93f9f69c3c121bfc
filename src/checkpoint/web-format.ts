// Our web weight format: a directory with manifest.json and binary shards of at most 64 MiB.
//
// manifest.json = {
//   format: "bridgetower-web", version: 1, dtype: "f32" | "f16",
//   config: BridgeTowerConfig, source: { file, format },
//   tokenizer?: { vocab: "vocab.json", merges: "merges.txt" }   (files beside the manifest, HF formats)
//   labels?: string[]                                             (VQA answers, index = logit)
//   shards: [{ file, length }],
//   tensors: [{ name, dtype, shape, shard, offset, length, crc32 }]
// }
// A tensor's bytes (row-major, little-endian) start at `offset` in shards[shard]; every offset is a
// multiple of 256, so each tensor can go to the GPU straight from the fetched shard. A tensor larger
// than a shard starts a fresh shard and runs on into the following ones, which it fills completely.
// `crc32` (IEEE) covers the tensor's `length` bytes. The manifest is written last: a directory without
// one is an unfinished conversion.
import { AbortedError, ChecksumError, CheckpointError, MissingTensorError } from '../errors';
import type { BridgeTowerConfig } from '../model/config';
import { readJson, readText, type ByteSource, type Directory } from './byte-source';
import { crc32 } from './crc32';
import { checkTensors } from './describe';
import { toFloatDtype } from './f16';
import { typedView } from './safetensors';
import { DTYPE_BYTES, numel, type DType, type HostTensor } from './tensor';
import { mergesTxt, parseMergesTxt, parseVocabJson } from './tokenizer-files';
import type { TensorInfo, TokenizerFiles, WeightSet } from './weight-set';

export const WEB_FORMAT = 'bridgetower-web';
export const WEB_FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const MAX_SHARD_BYTES = 64 * 1024 * 1024;
export const TENSOR_ALIGNMENT = 256;

export interface ManifestTensor {
  name: string;
  dtype: 'f32' | 'f16';
  shape: number[];
  shard: number;
  offset: number;
  length: number;
  crc32: number;
}

export interface Manifest {
  format: typeof WEB_FORMAT;
  version: typeof WEB_FORMAT_VERSION;
  dtype: 'f32' | 'f16';
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
  dtype?: 'f32' | 'f16';
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
export function planShards(lengths: number[], maxShardBytes: number): { places: Array<{ shard: number; offset: number }>; shardLengths: number[] } {
  const places: Array<{ shard: number; offset: number }> = [];
  const shardLengths: number[] = [];
  let shard = 0, used = 0;
  for (const length of lengths) {
    if (length > maxShardBytes) {
      if (used > 0) { shard++; used = 0; }
      places.push({ shard, offset: 0 });
      let left = length;
      while (left > maxShardBytes) { shardLengths[shard++] = maxShardBytes; left -= maxShardBytes; }
      used = left;
      shardLengths[shard] = used;
      if (used === 0) shardLengths.pop();
      continue;
    }
    let offset = align(used);
    if (offset + length > maxShardBytes) { shard++; offset = 0; }
    places.push({ shard, offset });
    used = offset + length;
    shardLengths[shard] = used;
  }
  return { places, shardLengths };
}

/** Convert a weight source to the web format, one tensor at a time. */
export async function writeWebFormat(weights: ConvertibleWeights, sink: WebFormatSink, opts: ConvertOptions = {}): Promise<ConvertSummary> {
  const started = performance.now();
  const dtype = opts.dtype ?? 'f32';
  const maxShard = Math.min(opts.maxShardBytes ?? MAX_SHARD_BYTES, MAX_SHARD_BYTES);
  if (maxShard % TENSOR_ALIGNMENT) throw new CheckpointError(sink.name, `shard size ${maxShard} is not a multiple of ${TENSOR_ALIGNMENT}`);
  const names = weights.names();
  const infos = names.map((name) => weights.info(name)!);
  const lengths = infos.map((i) => numel(i.shape) * DTYPE_BYTES[dtype]);
  const { places, shardLengths } = planShards(lengths, maxShard);
  const totalBytes = lengths.reduce((a, b) => a + b, 0);
  const tensors: ManifestTensor[] = [];

  await sink.begin();
  await sink.remove(MANIFEST);
  let current: FileSink | undefined;
  let currentShard = -1, currentPos = 0;
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
      const t = toFloatDtype(await weights.read(name), dtype, name);
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      if (bytes.byteLength !== lengths[i]) throw new CheckpointError(weights.source, `tensor ${name}: read ${bytes.byteLength} bytes, expected ${lengths[i]}`);
      let { shard, offset } = places[i];
      tensors.push({ name, dtype, shape: infos[i].shape.slice(), shard, offset, length: bytes.byteLength, crc32: crc32(bytes) });
      for (let p = 0; p < bytes.byteLength || p === 0; ) {
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
    version: WEB_FORMAT_VERSION,
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

/** Indented JSON with one line per shard and per tensor, so manifests stay readable and diff well. */
function manifestJson(m: Manifest): string {
  const { shards, tensors, ...rest } = m;
  const head = JSON.stringify(rest, null, 1).replace(/\n}$/, '');
  const list = (xs: unknown[]): string => `[\n${xs.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n ]`;
  return `${head},\n "shards": ${list(shards)},\n "tensors": ${list(tensors)}\n}\n`;
}

function validateManifest(x: unknown, file: string): Manifest {
  const bad = (what: string): never => { throw new CheckpointError(file, `not a valid web-format manifest: ${what}`); };
  if (!x || typeof x !== 'object') bad('not a JSON object');
  const m = x as Manifest;
  if (m.format !== WEB_FORMAT) bad(`format is ${JSON.stringify(m.format)}, expected ${JSON.stringify(WEB_FORMAT)}`);
  if (m.version !== WEB_FORMAT_VERSION) bad(`version ${JSON.stringify(m.version)} is not supported (this reader knows ${WEB_FORMAT_VERSION})`);
  if (!m.config || typeof m.config !== 'object') bad('no config');
  if (!Array.isArray(m.shards) || !m.shards.every((s) => s && typeof s.file === 'string' && !s.file.includes('/') && !s.file.includes('\\') && Number.isSafeInteger(s.length) && s.length >= 0)) bad('bad shards list');
  if (!Array.isArray(m.tensors)) bad('no tensors list');
  for (const t of m.tensors) {
    const ok = t && typeof t.name === 'string' && (t.dtype === 'f32' || t.dtype === 'f16') && Array.isArray(t.shape)
      && t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && Number.isSafeInteger(t.shard) && Number.isSafeInteger(t.offset)
      && Number.isSafeInteger(t.length) && Number.isSafeInteger(t.crc32) && t.shard >= 0 && t.shard < m.shards.length
      && t.offset >= 0 && t.offset % TENSOR_ALIGNMENT === 0 && t.length === numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (!ok) bad(`bad tensor entry ${JSON.stringify(t).slice(0, 200)}`);
    let left = t.length - (m.shards[t.shard].length - t.offset);
    for (let s = t.shard + 1; left > 0; s++) {
      if (s >= m.shards.length) bad(`tensor ${t.name} runs past the last shard`);
      left -= m.shards[s].length;
    }
  }
  if (m.labels !== undefined && !(Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string'))) bad('labels is not a list of strings');
  if (m.tokenizer !== undefined && !(typeof m.tokenizer.vocab === 'string' && typeof m.tokenizer.merges === 'string')) bad('bad tokenizer entry');
  return m;
}

/** A web-format directory as a WeightSet; every tensor read is checked against its crc32. */
export class WebFormatWeights implements WeightSet {
  private readonly byName: Map<string, ManifestTensor>;
  private readonly shards = new Map<number, Promise<ByteSource>>();
  /** Tensors still to be read per shard: a fully read shard is released (URL shards are held in memory). */
  private readonly pending = new Map<number, number>();

  private constructor(readonly dir: Directory, readonly manifest: Manifest, readonly tokenizer?: TokenizerFiles) {
    this.byName = new Map(manifest.tensors.map((t) => [t.name, t]));
    for (const t of manifest.tensors) for (const s of this.shardsOf(t)) this.pending.set(s, (this.pending.get(s) ?? 0) + 1);
  }

  static async open(dir: Directory, manifestSource?: ByteSource): Promise<WebFormatWeights> {
    const src = manifestSource ?? (await dir.open(MANIFEST));
    if (!src) throw new CheckpointError(`${dir.name}/${MANIFEST}`, 'not found: not a web-format directory');
    const manifest = validateManifest(await readJson(src), src.name);
    await src.close();
    let tokenizer: TokenizerFiles | undefined;
    if (manifest.tokenizer) {
      const vocab = await dir.open(manifest.tokenizer.vocab);
      const merges = await dir.open(manifest.tokenizer.merges);
      if (!vocab || !merges) throw new CheckpointError(`${dir.name}/${MANIFEST}`, `tokenizer files ${manifest.tokenizer.vocab} / ${manifest.tokenizer.merges} are missing`);
      tokenizer = { vocab: parseVocabJson(await readText(vocab), vocab.name), merges: parseMergesTxt(await readText(merges), merges.name) };
      await vocab.close();
      await merges.close();
    }
    const weights = new WebFormatWeights(dir, manifest, tokenizer);
    checkTensors(manifest.config, new Map(manifest.tensors.map((t) => [t.name, t])), `${dir.name}/${MANIFEST}`);
    return weights;
  }

  get source(): string { return this.dir.name; }
  get config(): BridgeTowerConfig { return this.manifest.config; }
  get labels(): string[] | undefined { return this.manifest.labels; }
  get skipped(): readonly string[] { return []; }
  get format(): string { return WEB_FORMAT; }

  names(): string[] { return this.manifest.tensors.map((t) => t.name); }

  info(name: string): TensorInfo | undefined {
    const t = this.byName.get(name);
    return t && { dtype: t.dtype, shape: t.shape.slice() };
  }

  private shardsOf(t: ManifestTensor): number[] {
    const out = [t.shard];
    let left = t.length - (this.manifest.shards[t.shard].length - t.offset);
    for (let s = t.shard + 1; left > 0; s++) { out.push(s); left -= this.manifest.shards[s].length; }
    return out;
  }

  private shard(i: number): Promise<ByteSource> {
    let p = this.shards.get(i);
    if (!p) {
      const file = this.manifest.shards[i].file;
      p = this.dir.open(file).then((src) => {
        if (!src) throw new CheckpointError(`${this.dir.name}/${file}`, 'shard file is missing');
        if (src.size !== this.manifest.shards[i].length) throw new CheckpointError(src.name, `shard holds ${src.size} bytes, the manifest says ${this.manifest.shards[i].length}`);
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
      throw new ChecksumError(`${this.dir.name}/${this.manifest.shards[t.shard].file}`, `tensor ${name}: crc32 ${got.toString(16)} does not match the manifest's ${t.crc32.toString(16)}`);
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
    return { dtype: t.dtype as DType, shape: t.shape.slice(), data: typedView(t.dtype, bytes) };
  }

  async close(): Promise<void> {
    const open = [...this.shards.values()];
    this.shards.clear();
    await Promise.all(open.map((p) => p.then((s) => s.close(), () => {})));
  }
}
