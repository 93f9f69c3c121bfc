// Our web weight format and its reader (the writer is web-format-write.ts): a directory with manifest.json and
// binary shards of at most 64 MiB.
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
import { ChecksumError, CheckpointError, MissingTensorError } from '../errors';
import type { BridgeTowerConfig } from '../common/config';
import { readJson, readText, type ByteSource, type Directory } from './byte-source';
import { crc32 } from '../common/crc32';
import { checkTensors } from './resolve-config';
import { checkStoredConfig } from './stored-config';
import { untrusted } from '../common/untrusted';
import {
  fromQuantBytes,
  isQuantDType,
  matrixShape,
  quantBlock,
  quantLayout,
  type QuantDType,
} from '../common/quantize';
import { DTYPE_BYTES, numel, typedView, type DType, type HostTensor } from '../common/tensor';
import { parseMergesTxt, parseVocabJson } from './tokenizer-files';
import type { TensorInfo, TokenizerFiles, WeightSet } from '../common/weight-set';

export const WEB_FORMAT = 'bridgetower-web';
/** The newest version this code reads and writes (2: quantized dtypes); f32 and f16 files are written as 1. */
export const WEB_FORMAT_VERSION = 2;
/** Weight dtypes a web-format directory can hold. */
export const WEB_DTYPES = ['f32', 'f16', 'q8', 'q4'] as const;
export type WebDType = (typeof WEB_DTYPES)[number];
export const isWebDType = (d: unknown): d is WebDType => WEB_DTYPES.includes(d as WebDType);
export const MANIFEST = 'manifest.json';
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

/** A file name inside the model's directory: no path separators, so a manifest cannot point outside it. */
const isPlainName = (f: unknown): f is string =>
  typeof f === 'string' && f.length > 0 && f.length <= 255 && !f.includes('/') && !f.includes('\\') && f !== '..';

/**
 * Check a parsed manifest before anything is sized by it: its config field by field (checkStoredConfig), its
 * shards, and each tensor's place, which must lie inside the bytes the shards declare (each shard's size is
 * checked against its file when it is opened).
 */
function validateManifest(x: unknown, file: string): Manifest {
  const bad = (what: string): never => {
    throw new CheckpointError(file, `not a valid web-format manifest: ${what}`);
  };
  if (!x || typeof x !== 'object' || Array.isArray(x)) bad('not a JSON object');
  const m = x as Manifest;
  if (m.format !== WEB_FORMAT) bad(`format is ${untrusted(m.format)}, expected ${JSON.stringify(WEB_FORMAT)}`);
  if (m.version !== 1 && m.version !== 2)
    bad(`version ${untrusted(m.version)} is not supported (this reader knows 1 and 2)`);
  if (!isWebDType(m.dtype)) bad(`dtype ${untrusted(m.dtype)} is not one of ${WEB_DTYPES.join(', ')}`);
  if (isQuantDType(m.dtype) && m.version !== 2) bad(`dtype ${m.dtype} needs version 2, the manifest says ${m.version}`);
  checkStoredConfig(m.config, file);
  if (
    !Array.isArray(m.shards) ||
    !m.shards.every((s) => s && isPlainName(s.file) && Number.isSafeInteger(s.length) && s.length >= 0)
  )
    bad('bad shards list');
  // Where each shard starts in the concatenation of all of them: a tensor spanning shards ends inside it.
  const shardStart = [0];
  for (const s of m.shards) shardStart.push(shardStart[shardStart.length - 1] + s.length);
  const totalBytes = shardStart[m.shards.length];
  if (!Number.isSafeInteger(totalBytes)) bad(`shards declare ${totalBytes} bytes in all`);
  if (!Array.isArray(m.tensors)) bad('no tensors list');
  for (const t of m.tensors) {
    const ok =
      t &&
      typeof t === 'object' &&
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
    if (!ok) bad(`bad tensor entry ${untrusted(t, 200)}`);
    if (isQuantDType(t.dtype)) checkQuantEntry(t, t.dtype, m.version, bad);
    if (t.offset > m.shards[t.shard].length || shardStart[t.shard] + t.offset + t.length > totalBytes)
      bad(
        `tensor ${untrusted(t.name)} (${t.length} bytes at byte ${t.offset} of shard ${t.shard}) runs past the last shard`,
      );
  }
  if (m.labels !== undefined && !(Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string')))
    bad('labels is not a list of strings');
  // A writer that has no tokenizer may say so with null.
  if (m.tokenizer === null) delete (m as { tokenizer?: unknown }).tokenizer;
  if (m.tokenizer !== undefined && !(isPlainName(m.tokenizer?.vocab) && isPlainName(m.tokenizer?.merges)))
    bad(`tokenizer is ${untrusted(m.tokenizer)}, not {"vocab": file, "merges": file}`);
  return m;
}

function checkQuantEntry(t: ManifestTensor, dtype: QuantDType, version: number, bad: (what: string) => never): void {
  const where = `tensor ${t.name} (${dtype})`;
  if (version !== 2) bad(`${where} needs version 2, the manifest says ${version}`);
  if (t.shape.length < 2) bad(`${where} is not a matrix: shape ${untrusted(t.shape)}`);
  const block = quantBlock(dtype, matrixShape(t.shape)[1]);
  const layout = quantLayout(dtype, t.shape);
  const what = dtype === 'q8' ? 'one scale per row' : '32 elements per scale';
  if (t.block !== block) bad(`${where} has block ${untrusted(t.block)}; this reader supports ${block} (${what})`);
  if (t.scales !== layout.scales) bad(`${where} lists ${untrusted(t.scales)} scales, its shape needs ${layout.scales}`);
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
      // Open (and so size-check) every shard first: the allocation is then no larger than files present.
      const sources = await Promise.all(parts.map((s) => this.shard(s)));
      bytes = new Uint8Array(t.length);
      let done = 0;
      for (const [k, s] of parts.entries()) {
        const src = sources[k];
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
