// openWeights: any weight source -> a WeightSet under canonical names with a checked configuration.
// The format is chosen by content (magic bytes), never by the file name alone:
//   zip (torch.save >= 1.6, HF pytorch_model.bin), legacy torch.save, safetensors, a sharded index
//   (model.safetensors.index.json / pytorch_model.bin.index.json), or a web-format manifest / directory.
import { CheckpointError, ConfigError, MissingTensorError } from '../errors';
import type { BridgeTowerConfig, HfImageProcessor, ImagePreprocess } from '../common/config';
import { readJson, readText, type ByteSource, type Directory } from './byte-source';
import { checkTensors, resolveConfig } from './resolve-config';
import { shapeFacts } from './facts-shapes';
import { hfConfigFacts } from './facts-hf';
import { hyperFacts, type TextTower } from './facts-authors';
import { configFacts, isBridgeTowerConfig, type Facts } from './facts';
import { expectedTensors } from '../common/parameters';
import { toFloatDtype } from '../common/f16';
import { regridPositionalEmbedding } from './interpolate';
import { hfToCanonical, usesHfNames } from './names';
import { parsePreprocessorConfig } from './preprocessor-config';
import type { RawCheckpoint, TensorRecord } from './records';
import { openSafetensors } from './safetensors';
import { LEGACY_MAGIC, readTorchLegacy, readTorchZip } from './torch';
import type { HostTensor } from '../common/tensor';
import { MANIFEST, WebFormatWeights } from './web-format';
import { type ConvertibleWeights } from './web-format-write';
import { parseId2label, parseMergesTxt, parseTokenizerJson, parseVocabJson } from './tokenizer-files';
import type { TensorInfo, TokenizerFiles } from '../common/weight-set';
import { looksLikeZip } from './zip';
import { untrusted } from '../common/untrusted';
import { LIMITS } from '../common/limits';

export interface OpenOptions {
  /**
   * The directory around a single file: shards of an index, config.json.
   * @default the file's own directory
   */
  dir?: Directory;
  /**
   * A configuration given by the user (--config): HF config.json, the original config, or a BridgeTowerConfig.
   * @default the config found with the weights (inside the checkpoint, or config.json beside it)
   */
  config?: unknown;
  /**
   * Re-grid the positional embedding for this image size (original `adapt_position_encoding`).
   * @default the checkpoint's image size
   */
  imageSize?: number;
  /**
   * The preprocessing mode.
   * @default what the checkpoint and its config declare
   */
  imagePreprocess?: ImagePreprocess;
  /**
   * Tokenizer files (vocab and merges).
   * @default vocab.json + merges.txt, or tokenizer.json, beside the weights
   */
  tokenizer?: TokenizerFiles;
  /**
   * VQA answer strings, index = logit.
   * @default the checkpoint's, or its config's id2label
   */
  labels?: string[];
  /**
   * An HF preprocessor_config.json's parameters for the 'hf' preprocessing mode.
   * @default preprocessor_config.json beside the weights, if any
   */
  imageProcessor?: HfImageProcessor;
  /**
   * The text tower of an authors' checkpoint whose config's tokenizer name does not say (--text-tower).
   * @default what the config's tokenizer name says
   */
  textTower?: TextTower;
}

const POSITIONAL = 'vit_model.visual.positional_embedding';

function startsWith(head: Uint8Array, magic: Uint8Array): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

function looksLikeSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 9) return false;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && 8n + n <= BigInt(size) && head[8] === 0x7b;
}

function firstNonSpace(head: Uint8Array): number | undefined {
  return head.find(
    (b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf,
  );
}

/**
 * Open any weight source as a checked, canonical WeightSet. Beside weights in a directory (a local folder, a
 * URL base, a hub repo), the HF tokenizer files (vocab.json + merges.txt, or tokenizer.json) and
 * preprocessor_config.json are used when present; what `opts` gives explicitly wins.
 */
export async function openWeights(input: ByteSource | Directory, opts: OpenOptions = {}): Promise<ConvertibleWeights> {
  if ('open' in input) {
    // A web-format directory names its own tokenizer files, and keeps the preprocessing in its config.
    const manifest = await input.open(MANIFEST);
    if (manifest) {
      if (await isWebManifest(manifest)) return withOverrides(await WebFormatWeights.open(input, manifest), opts);
      await manifest.close();
    }
  }
  const dir = 'open' in input ? input : opts.dir;
  let folder = opts;
  if (dir) {
    try {
      folder = { ...(await folderFiles(dir)), ...withoutUndefined(opts) };
    } catch (e) {
      if (!('open' in input)) await input.close();
      throw e;
    }
  }
  return withOverrides(await openAny(input, folder), folder);
}

function withoutUndefined(opts: OpenOptions): OpenOptions {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
}

/** The tokenizer and image-processor files HF saves beside its weights. */
async function folderFiles(dir: Directory): Promise<Pick<OpenOptions, 'tokenizer' | 'imageProcessor'>> {
  const text = async (name: string): Promise<[string, string] | undefined> => {
    const src = await dir.open(name);
    if (!src) return undefined;
    try {
      return [await readText(src), src.name];
    } finally {
      await src.close();
    }
  };
  const out: Pick<OpenOptions, 'tokenizer' | 'imageProcessor'> = {};
  const [vocab, merges] = [await text('vocab.json'), await text('merges.txt')];
  if (vocab && merges) out.tokenizer = { vocab: parseVocabJson(...vocab), merges: parseMergesTxt(...merges) };
  else {
    const tok = await text('tokenizer.json');
    if (tok) out.tokenizer = parseTokenizerJson(...tok);
    else if (vocab || merges) {
      throw new CheckpointError(
        (vocab ?? merges)![1],
        'a tokenizer needs both vocab.json and merges.txt (or one tokenizer.json)',
      );
    }
  }
  const processor = await text('preprocessor_config.json');
  if (processor) {
    let json: unknown;
    try {
      json = JSON.parse(processor[0]);
    } catch (e) {
      throw new CheckpointError(processor[1], `not valid JSON (${(e as Error).message})`);
    }
    out.imageProcessor = parsePreprocessorConfig(json, processor[1]);
  }
  return out;
}

/** True when `source` is a bridgetower-web manifest (not, say, some other tool's manifest.json). */
async function isWebManifest(source: ByteSource): Promise<boolean> {
  if (source.size > LIMITS.jsonBytes.value) return false;
  try {
    return (JSON.parse(await readText(source)) as { format?: unknown })?.format === 'bridgetower-web';
  } catch {
    return false;
  }
}

async function openAny(input: ByteSource | Directory, opts: OpenOptions): Promise<ConvertibleWeights> {
  if ('open' in input) return openDirectory(input, opts);
  try {
    return await openSource(input, opts);
  } catch (e) {
    await input.close();
    throw e;
  }
}

/** A single file. Its reader keeps `source` open for lazy tensor reads until the WeightSet is closed. */
async function openSource(source: ByteSource, opts: OpenOptions): Promise<ConvertibleWeights> {
  const head = await source.read(0, Math.min(64, source.size));
  if (looksLikeZip(head)) return checkedWeights(await readTorchZip(source), opts);
  if (startsWith(head, LEGACY_MAGIC)) return checkedWeights(await readTorchLegacy(source), opts);
  if (looksLikeSafetensors(head, source.size)) return checkedWeights(await openSafetensors(source), opts);
  if (firstNonSpace(head) === 0x7b && source.size <= LIMITS.jsonBytes.value) {
    const json = (await readJson(source)) as Record<string, unknown>;
    if (json?.format !== undefined && json.format === 'bridgetower-web') {
      if (!opts.dir) throw new CheckpointError(source.name, 'a web-format manifest needs its directory');
      return WebFormatWeights.open(opts.dir, source);
    }
    if (json?.weight_map && typeof json.weight_map === 'object') {
      await source.close();
      return checkedWeights(await openSharded(source.name, json.weight_map as Record<string, unknown>, opts.dir), opts);
    }
    throw new CheckpointError(
      source.name,
      'a JSON file that is neither a sharded-checkpoint index (weight_map) nor a web-format manifest',
    );
  }
  const shown = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointError(
    source.name,
    `not a checkpoint: not a torch.save zip or legacy file, safetensors, sharded index or web-format manifest (first bytes ${shown || 'none: empty file'})`,
  );
}

/** A directory that is not in the web format (openWeights checked): HF weights. */
async function openDirectory(dir: Directory, opts: OpenOptions): Promise<ConvertibleWeights> {
  for (const file of [
    'model.safetensors.index.json',
    'model.safetensors',
    'pytorch_model.bin.index.json',
    'pytorch_model.bin',
  ]) {
    const src = await dir.open(file);
    if (src) return openAny(src, { ...opts, dir });
  }
  // A manifest.json that is not a bridgetower-web one and no HF weights: say what is wrong with the manifest.
  const manifest = await dir.open(MANIFEST);
  if (manifest) return WebFormatWeights.open(dir, manifest);
  throw new CheckpointError(
    dir.name,
    `no ${MANIFEST}, model.safetensors(.index.json) or pytorch_model.bin(.index.json) in this directory`,
  );
}

async function openSharded(
  file: string,
  weightMap: Record<string, unknown>,
  dir: Directory | undefined,
): Promise<RawCheckpoint> {
  if (!dir) throw new CheckpointError(file, 'a sharded-checkpoint index needs the directory of its shards');
  const shards = new Map<string, RawCheckpoint>();
  const tensors = new Map<string, TensorRecord>();
  const closeAll = (): Promise<unknown> => Promise.all([...shards.values()].map((s) => s.close()));
  try {
    for (const [name, shardName] of Object.entries(weightMap)) {
      if (typeof shardName !== 'string' || shardName.includes('/') || shardName.includes('\\'))
        throw new CheckpointError(file, `weight_map: tensor ${name} maps to ${untrusted(shardName)}, not a file name`);
      let shard = shards.get(shardName);
      if (!shard) {
        const src = await dir.open(shardName);
        if (!src) throw new CheckpointError(file, `shard ${shardName} (holding ${name}) is missing`);
        const head = await src.read(0, Math.min(64, src.size));
        shard = looksLikeZip(head) ? await readTorchZip(src) : await openSafetensors(src);
        shards.set(shardName, shard);
      }
      const record = shard.tensors.get(name);
      if (!record)
        throw new CheckpointError(shard.file, `tensor ${name} is not in this shard, though ${file} says it is`);
      tensors.set(name, record);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  const first = shards.values().next().value;
  return {
    file,
    format: first?.format === 'torch-zip' ? 'bin-sharded' : 'safetensors-sharded',
    tensors,
    close: async () => {
      await closeAll();
    },
  };
}

/** What a configuration declares: facts, and the VQA answers of its `id2label` with the file they came from. */
interface Declared {
  facts: Facts;
  id2label?: { labels: string[]; origin: string };
}

/** Declared facts: --config first, then the checkpoint's hyper_parameters, then a config.json beside HF-named weights. */
async function declaredFacts(raw: RawCheckpoint, hfNames: boolean, opts: OpenOptions): Promise<Declared> {
  let config = opts.config;
  let origin = 'the config given';
  if (config === undefined && raw.hyper) return { facts: hyperFacts(raw.hyper, opts) };
  if (config === undefined && hfNames && opts.dir) {
    const src = await opts.dir.open('config.json');
    if (src) {
      config = await readJson(src);
      origin = src.name;
      await src.close();
    }
  }
  if (config === undefined) return { facts: new Map() };
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw new ConfigError(`${origin}: not a JSON object`);
  const { id2label: map, ...c } = config as Record<string, unknown>;
  const id2label = map === undefined ? undefined : { labels: parseId2label(map, `${origin} id2label`), origin };
  if (isBridgeTowerConfig(c)) return { facts: configFacts(c, origin), id2label };
  if ('text_config' in c || 'vision_config' in c) return { facts: hfConfigFacts(c), id2label };
  const hyper = (c.hyper_parameters as Record<string, unknown> | undefined)?.config ?? c;
  if (hyper && typeof hyper === 'object' && 'hidden_size' in hyper) return { facts: hyperFacts(hyper, opts), id2label };
  throw new ConfigError(
    `${origin}: neither an HF BridgeTower config.json, the original config, nor a bridgetower-web config`,
  );
}

/**
 * The answers of a config's `id2label` for the VQA head found in the weights: taken whenever their count is the
 * head's, ignored when the weights have no VQA head, and a ConfigError when the counts differ (labels given by
 * the caller replace them and are not checked here).
 */
function vqaLabels(declared: Declared, config: BridgeTowerConfig, opts: OpenOptions): string[] | undefined {
  const vqa = config.heads.vqa;
  if (!declared.id2label || !vqa || opts.labels) return undefined;
  const { labels, origin } = declared.id2label;
  if (labels.length !== vqa.outFeatures)
    throw new ConfigError(
      `${origin}: id2label names ${labels.length} answers, but the VQA head in the weights gives ` +
        `${vqa.outFeatures}; give the model's answer labels (--labels, or the labels option)`,
    );
  return labels;
}

class CheckpointWeights implements ConvertibleWeights {
  constructor(
    private readonly raw: RawCheckpoint,
    readonly config: BridgeTowerConfig,
    private readonly kept: Map<string, TensorRecord>,
    readonly skipped: readonly string[],
    readonly tokenizer?: TokenizerFiles,
    readonly labels?: string[],
  ) {}
  get source(): string {
    return this.raw.file;
  }
  get format(): string {
    return this.raw.format;
  }
  names(): string[] {
    return [...this.kept.keys()];
  }
  info(name: string): TensorInfo | undefined {
    const r = this.kept.get(name);
    return r && { dtype: r.dtype, shape: r.shape.slice() };
  }
  async read(name: string): Promise<HostTensor> {
    const r = this.kept.get(name);
    if (!r) throw new MissingTensorError(name, this.raw.file);
    return r.read();
  }
  close(): Promise<void> {
    return this.raw.close();
  }
}

/** Canonical names, configuration, shape check, kept/skipped split. */
async function checkedWeights(raw: RawCheckpoint, opts: OpenOptions): Promise<ConvertibleWeights> {
  try {
    const hfNames = usesHfNames(raw.tensors.keys());
    const canonical = new Map<string, TensorRecord>();
    for (const [name, record] of raw.tensors) {
      const c = hfNames ? hfToCanonical(name) : name;
      if (canonical.has(c)) throw new CheckpointError(raw.file, `tensors ${name} and another both map to ${c}`);
      canonical.set(c, record);
    }
    const infos = new Map<string, TensorInfo>([...canonical].map(([n, r]) => [n, { dtype: r.dtype, shape: r.shape }]));
    const declared = await declaredFacts(raw, hfNames, opts);
    const config = resolveConfig(declared.facts, shapeFacts(infos), { file: raw.file, hfNames });
    checkTensors(config, infos, raw.file);
    const kept = new Map<string, TensorRecord>();
    for (const [name] of expectedTensors(config)) kept.set(name, canonical.get(name)!);
    const skipped = [...canonical.keys()].filter((n) => !kept.has(n));
    return new CheckpointWeights(raw, config, kept, skipped, undefined, vqaLabels(declared, config, opts));
  } catch (e) {
    await raw.close();
    throw e;
  }
}

/** The user's choices over what the source says: preprocessing, tokenizer, labels, and a re-gridded image size. */
class OverriddenWeights implements ConvertibleWeights {
  constructor(
    private readonly inner: ConvertibleWeights,
    readonly config: BridgeTowerConfig,
    private readonly replaced: Map<string, TensorRecord>,
    readonly tokenizer?: TokenizerFiles,
    readonly labels?: string[],
  ) {}
  get source(): string {
    return this.inner.source;
  }
  get format(): string {
    return this.inner.format;
  }
  get skipped(): readonly string[] {
    return this.inner.skipped;
  }
  names(): string[] {
    return this.inner.names();
  }
  info(name: string): TensorInfo | undefined {
    const r = this.replaced.get(name);
    return r ? { dtype: r.dtype, shape: r.shape.slice() } : this.inner.info(name);
  }
  read(name: string): Promise<HostTensor> {
    const r = this.replaced.get(name);
    return r ? r.read() : this.inner.read(name);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function withOverrides(weights: ConvertibleWeights, opts: OpenOptions): Promise<ConvertibleWeights> {
  let config = weights.config;
  if (opts.imagePreprocess) config = { ...config, imagePreprocess: opts.imagePreprocess };
  if (opts.imageProcessor) config = { ...config, imageProcessor: opts.imageProcessor };
  const replaced = new Map<string, TensorRecord>();
  if (opts.imageSize !== undefined && opts.imageSize !== config.vision.imageSize) {
    const S = opts.imageSize,
      P = config.vision.patchSize;
    if (!Number.isSafeInteger(S) || S < P || S % P) {
      await weights.close();
      throw new ConfigError(`image size ${S} is not a positive multiple of the patch size ${P}`);
    }
    const grid = S / P,
      width = config.vision.width;
    replaced.set(POSITIONAL, {
      dtype: 'f32',
      shape: [grid * grid + 1, width],
      read: async () => {
        const pos = toFloatDtype(await weights.read(POSITIONAL), 'f32', POSITIONAL).data as Float32Array;
        return { dtype: 'f32', shape: [grid * grid + 1, width], data: regridPositionalEmbedding(pos, width, grid) };
      },
    });
    config = { ...config, vision: { ...config.vision, imageSize: S } };
  }
  if (config === weights.config && !opts.tokenizer && !opts.labels) return weights;
  return new OverriddenWeights(
    weights,
    config,
    replaced,
    opts.tokenizer ?? weights.tokenizer,
    opts.labels ?? weights.labels,
  );
}
