// Loading for the task API: any source (a hub id, a URL, a Directory, a WeightSet) opened as weights, converted
// to the requested dtype where it is stored otherwise, uploaded to a GPU, and handed to the tasks as a context.
import { AbortedError, ArgumentError, ConfigError } from '../errors';
import type { Directory } from '../checkpoint/byte-source';
import { openWeights } from '../checkpoint/open';
import { checkTokenizerFits } from '../checkpoint/tokenizer-files';
import { WEB_DTYPES, type WebDType } from '../checkpoint/web-format';
import type { ConvertibleWeights } from '../checkpoint/web-format-write';
import { isQuantDType } from '../common/quantize';
import { untrusted } from '../common/untrusted';
import type { WeightSet } from '../common/weight-set';
import { Gpu } from '../gpu/runtime';
import { convertInMemory, convertOptions, openHubWeights, type HubOptions } from '../hub/load';
import { parseHubId } from '../hub/hub-id';
import { BridgeTowerModel, COMPUTE_PRECISIONS, type ComputePrecision } from '../model/bridgetower';
import { IMAGE_PREPROCESS_MODES } from '../preprocess/image';
import { RobertaTokenizer } from '../preprocess/tokenizer';
import { attentionOutput } from './attention';
import { checkOptions } from './checks';
import { TaskContext } from './context';
import { platform } from './platform';
import { modelFiles, ProgressDirectory } from './sources';
import type { LoadOptions } from './types';

export type ModelSource = string | URL | WeightSet | Directory;

export interface BridgeTowerLoadOptions extends LoadOptions, Omit<HubOptions, 'signal' | 'onProgress' | 'dtype'> {
  /**
   * A runtime to use; it stays the caller's (dispose() leaves it alive).
   * @default none: one is created with `createGpu`, owned by the model
   */
  gpu?: Gpu;
  /**
   * Creates the runtime the model owns when `gpu` is not given.
   * @default Gpu.create() (navigator.gpu); Dawn in Node once `bridgetower-webgpu/node` is imported
   */
  createGpu?: () => Promise<Gpu>;
  /**
   * How VQA logits become probabilities. The original fine-tunes VQAv2 (3129 answers) with binary
   * cross-entropy, so each answer's probability is sigmoid(logit); models trained with softmax
   * cross-entropy (the demo) use softmax.
   * @default 'sigmoid' for 3129 answers, 'softmax' otherwise
   */
  vqaScoring?: 'softmax' | 'sigmoid';
  /**
   * The dtype the weights are held in on the GPU, whatever the source: weights stored otherwise are converted
   * as they load (in memory; from the hub, into the cache), so `f16` halves and `q8` / `q4` quarter or eighth
   * the GPU memory of f32 weights. Default: as stored (f32 from the hub). Weights already quantized are not
   * converted again (that would compound the rounding): a q8 or q4 source with another dtype is a ConfigError.
   * @default as stored (f32 from the hub)
   */
  dtype?: WebDType;
  /**
   * The precision of the activations between matrix products: 'f16' stores q | k | v, the attention context and
   * the FFN intermediate as halves (their arithmetic stays f32, as do the residual stream, LayerNorms, softmax and
   * every returned tensor), halving the memory traffic of those activations. Off by default: its accuracy is
   * measured against the f32 fixtures, its speed not yet on a GPU.
   * @default 'f32'
   */
  compute?: ComputePrecision;
}

/** The size of the VQAv2 answer vocabulary of the released VQA checkpoints. */
const VQAV2_ANSWERS = 3129;

/** What a BridgeTower is made of. */
export interface LoadedTower {
  gpu: Gpu;
  /** Whether the GPU runtime was created for this model (and is destroyed with it). */
  ownsGpu: boolean;
  context: TaskContext;
}

/** Open `source`, bring it to the requested dtype and upload it; the source's files are closed on return. */
export async function loadTower(source: ModelSource | undefined, opts: BridgeTowerLoadOptions): Promise<LoadedTower> {
  checkLoadArguments(source, opts);
  const signal = opts.signal;
  const check = () => {
    if (signal?.aborted) throw new AbortedError('loading the model was cancelled');
  };
  check();
  const opened = await openSource(source, opts);
  /** Weights this function opened or converted, closed on return (a WeightSet the caller gave stays open). */
  const owned = opened === source ? [] : [opened];
  let weights = opened;
  const gpu = opts.gpu ?? (await (opts.createGpu ?? platform().createGpu ?? (() => Gpu.create()))());
  try {
    check();
    if (opts.dtype !== undefined && !isHubId(source)) {
      weights = await toDtype(weights, opts.dtype, opts);
      if (weights !== opened) owned.push(weights);
    }
    if (weights.tokenizer) checkTokenizerFits(weights.tokenizer, weights.config.text.vocabSize, weights.source);
    const model = await BridgeTowerModel.load(gpu, weights, {
      onProgress: opts.onProgress,
      signal,
      compute: opts.compute,
    });
    // The pipelines the tasks use, compiled in parallel now rather than one by one at the first question.
    await model.compile({
      outputs: pipelineOutputs(model),
      onProgress: (done, total) =>
        opts.onProgress?.({ phase: 'compile', loadedBytes: 0, totalBytes: 0, tensors: done, totalTensors: total }),
    });
    check();
    const vqa = weights.config.heads.vqa;
    const context = new TaskContext({
      model,
      tokenizer: weights.tokenizer ? new RobertaTokenizer(weights.tokenizer) : undefined,
      labels: weights.labels,
      imagePreprocess: opts.imagePreprocess ?? weights.config.imagePreprocess,
      vqaScoring: opts.vqaScoring ?? (vqa?.outFeatures === VQAV2_ANSWERS ? 'sigmoid' : 'softmax'),
      source: weights.source,
    });
    return { gpu, ownsGpu: !opts.gpu, context };
  } catch (e) {
    if (!opts.gpu) gpu.destroy();
    if (signal?.aborted) throw new AbortedError('loading the model was cancelled');
    throw e;
  } finally {
    for (const w of owned) await w.close();
  }
}

/** Options a load takes (BridgeTowerLoadOptions, and loadBridgeTower's `open`); others are refused by name. */
const LOAD_OPTIONS = [
  'onProgress',
  'signal',
  'imagePreprocess',
  'revision',
  'hubEndpoint',
  'accessToken',
  'cache',
  'cacheDir',
  'onRequest',
  'gpu',
  'createGpu',
  'vqaScoring',
  'dtype',
  'compute',
  'open',
];

/** A source of one of the accepted kinds and options of the right types, or an ArgumentError naming which. */
function checkLoadArguments(source: unknown, opts: BridgeTowerLoadOptions): void {
  const isObject = typeof source === 'object' && source !== null;
  const kind =
    source === undefined ||
    (typeof source === 'string' && source.trim() !== '') ||
    source instanceof URL ||
    (isObject && typeof (source as Directory).open === 'function') ||
    (isObject && typeof (source as WeightSet).read === 'function' && 'config' in source);
  if (!kind) {
    throw new ArgumentError(
      `BridgeTower.load: the source must be a hub id, a URL or path, a Directory or a WeightSet (or nothing, ` +
        `for the demo model), got ${source === null ? 'null' : typeof source === 'string' ? 'an empty string' : typeof source}`,
    );
  }
  checkOptions('BridgeTower.load', opts, LOAD_OPTIONS);
  const oneOf = (name: string, value: unknown, allowed: readonly string[]) => {
    if (value !== undefined && !allowed.includes(value as string))
      throw new ArgumentError(
        `BridgeTower.load: ${name} must be one of ${allowed.join(', ')}, got ${untrusted(value)}`,
      );
  };
  oneOf('dtype', opts.dtype, WEB_DTYPES);
  oneOf('compute', opts.compute, COMPUTE_PRECISIONS);
  oneOf('vqaScoring', opts.vqaScoring, ['softmax', 'sigmoid']);
  oneOf('imagePreprocess', opts.imagePreprocess, IMAGE_PREPROCESS_MODES);
  if (opts.gpu !== undefined && !(opts.gpu instanceof Gpu))
    throw new ArgumentError('BridgeTower.load: gpu must be a Gpu (from bridgetower-webgpu/advanced)');
  if (opts.createGpu !== undefined && typeof opts.createGpu !== 'function')
    throw new ArgumentError('BridgeTower.load: createGpu must be a function');
}

/** A pass through every head and a cross-attention map: the pipelines of every task (NLVR2 aside). */
export function pipelineOutputs(model: BridgeTowerModel): string[] {
  return [
    ...model.defaultOutputs().filter((n) => !n.startsWith('img2.') && n !== 'nlvr2_logits'),
    attentionOutput(model.config.numLayers - 1),
  ];
}

function isHubId(source: ModelSource | undefined): boolean {
  return typeof source === 'string' && parseHubId(source) !== undefined;
}

/**
 * A hub id (converted to `opts.dtype` by the hub loader), a URL, a path (Node) or the demo, a Directory, or
 * weights as given.
 */
async function openSource(source: ModelSource | undefined, opts: BridgeTowerLoadOptions): Promise<WeightSet> {
  const hubId = typeof source === 'string' ? parseHubId(source) : undefined;
  if (hubId) return openHubWeights(hubId, opts, platform());
  if (source === undefined || typeof source === 'string' || source instanceof URL) {
    const files = await modelFiles(source, opts.signal);
    const dir = new ProgressDirectory(files.dir, opts);
    return files.source ? openWeights(files.source, { dir }) : openWeights(dir);
  }
  if ('open' in source) return openWeights(new ProgressDirectory(source, opts));
  return source;
}

/** `weights` as they are when stored in `dtype`, otherwise a copy converted into memory. */
async function toDtype(weights: WeightSet, dtype: WebDType, opts: BridgeTowerLoadOptions): Promise<WeightSet> {
  const stored = new Set(weights.names().map((n) => weights.info(n)?.dtype));
  const quantized = [...stored].find((d) => d !== undefined && isQuantDType(d));
  if (quantized === dtype) return weights;
  if (quantized) {
    throw new ConfigError(
      `${weights.source} is stored as ${quantized}; converting it to ${dtype} would round it twice: ` +
        'convert the original checkpoint instead, or load it without dtype',
    );
  }
  if (!isQuantDType(dtype) && [...stored].every((d) => d === dtype || d === undefined || !isFloat(d))) return weights;
  return convertInMemory(convertible(weights), convertOptions(dtype, opts));
}

function isFloat(dtype: string): boolean {
  return dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' || dtype === 'f64';
}

/** What the converter needs of any WeightSet: one the caller built has no skipped tensors and no format name. */
function convertible(weights: WeightSet): ConvertibleWeights {
  if ('skipped' in weights && 'format' in weights) return weights as ConvertibleWeights;
  return {
    source: weights.source,
    config: weights.config,
    tokenizer: weights.tokenizer,
    labels: weights.labels,
    skipped: [],
    format: 'weights',
    names: () => weights.names(),
    info: (name) => weights.info(name),
    read: (name) => weights.read(name),
    close: () => weights.close(),
  };
}
