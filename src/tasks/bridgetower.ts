// The public task API: load a BridgeTower once, then ask it questions about images.
// Each task tokenises, preprocesses, runs one forward pass (one submit, one readback) and turns logits
// into what a user wants to read: answers with probabilities, match scores, rankings.
import { AbortedError, CheckpointError, HeadUnavailableError, ShapeError, TextError, TokenizerError } from '../errors';
import { fetchSource, UrlDirectory, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { openWeights } from '../checkpoint/open';
import { checkTokenizerFits } from '../checkpoint/tokenizer-files';
import { openHubWeights, type HubOptions } from '../hub/load';
import { parseHubId } from '../hub/hub-id';
import { demoModelFiles } from './demo-files';
import { platform, resolveUrl } from './platform';
import type { WeightSet } from '../common/weight-set';
import { Gpu } from '../gpu/runtime';
import { BridgeTowerModel, type OutputTensor } from '../model/bridgetower';
import type { BridgeTowerConfig, ImagePreprocess } from '../common/config';
import { pixelValues } from '../preprocess/image';
import { toRgb } from '../preprocess/image-input';
import { RobertaTokenizer } from '../preprocess/tokenizer';
import { embedImage, embedPairs, embedText, type Embedder } from './embeddings';
import type {
  Answer,
  AttentionMap,
  EntailmentResult,
  FillMaskToken,
  HeadName,
  ImageInput,
  LoadOptions,
  MatchResult,
  Nlvr2Result,
  RetrievalHit,
  TaskOptions,
  VqaResult,
} from './types';

export interface BridgeTowerLoadOptions extends LoadOptions, Omit<HubOptions, 'signal' | 'onProgress'> {
  /** A runtime to use; it stays the caller's (dispose() leaves it alive). */
  gpu?: Gpu;
  /** Otherwise the runtime is created with this (default Gpu.create(): navigator.gpu) and owned by the model. */
  createGpu?: () => Promise<Gpu>;
  /**
   * How VQA logits become probabilities. The original fine-tunes VQAv2 (3129 answers) with binary
   * cross-entropy, so each answer's probability is sigmoid(logit); models trained with softmax
   * cross-entropy (the demo) use softmax. Default: sigmoid for 3129 labels, softmax otherwise.
   */
  vqaScoring?: 'softmax' | 'sigmoid';
}

/** SNLI-VE classes in the original's label order (src/utils/write_snli.py). */
const SNLI_LABELS = ['contradiction', 'neutral', 'entailment'] as const;
/** The size of the VQAv2 answer vocabulary of the released VQA checkpoints. */
const VQAV2_ANSWERS = 3129;
/** Images per forward pass when encoding many images for retrieval; captions per pass when matching many. */
const IMAGE_BATCH = 8;
const TEXT_BATCH = 8;

export class BridgeTower {
  private constructor(
    readonly gpu: Gpu,
    readonly model: BridgeTowerModel,
    private readonly tokenizerOrUndefined: RobertaTokenizer | undefined,
    readonly labels: string[] | undefined,
    readonly imagePreprocess: ImagePreprocess,
    private readonly vqaScoring: 'softmax' | 'sigmoid',
    private readonly ownsGpu: boolean,
    readonly source: string,
  ) {}

  /**
   * Load from a Hugging Face model id ('org/name', 'hf:org/name@revision'), a URL of a web-format directory
   * or of a folder in the hub's layout (relative URLs resolve against the page, or the working directory in
   * Node), a WeightSet or a Directory. Without a source: the demo model shipped with the package.
   */
  static async load(
    source?: string | URL | WeightSet | Directory,
    opts: BridgeTowerLoadOptions = {},
  ): Promise<BridgeTower> {
    const signal = opts.signal;
    const check = () => {
      if (signal?.aborted) throw new AbortedError('loading the model was cancelled');
    };
    check();
    let weights: WeightSet;
    let opened = false;
    const hubId = typeof source === 'string' ? parseHubId(source) : undefined;
    if (hubId) {
      weights = await openHubWeights(hubId, opts, platform());
      opened = true;
    } else if (source === undefined || typeof source === 'string' || source instanceof URL) {
      weights = await openWeights(new ProgressDirectory(modelDirectory(source, signal), opts));
      opened = true;
    } else if ('open' in source) {
      weights = await openWeights(new ProgressDirectory(source, opts));
      opened = true;
    } else {
      weights = source;
    }
    const gpu = opts.gpu ?? (await (opts.createGpu ?? platform().createGpu ?? (() => Gpu.create()))());
    try {
      check();
      if (weights.tokenizer) checkTokenizerFits(weights.tokenizer, weights.config.text.vocabSize, weights.source);
      const model = await BridgeTowerModel.load(gpu, weights, { onProgress: opts.onProgress, signal });
      const tokenizer = weights.tokenizer ? new RobertaTokenizer(weights.tokenizer) : undefined;
      const labels = weights.labels;
      const vqa = weights.config.heads.vqa;
      const scoring = opts.vqaScoring ?? (vqa?.outFeatures === VQAV2_ANSWERS ? 'sigmoid' : 'softmax');
      return new BridgeTower(
        gpu,
        model,
        tokenizer,
        labels,
        opts.imagePreprocess ?? weights.config.imagePreprocess,
        scoring,
        !opts.gpu,
        weights.source,
      );
    } catch (e) {
      if (!opts.gpu) gpu.destroy();
      if (signal?.aborted) throw new AbortedError('loading the model was cancelled');
      throw e;
    } finally {
      if (opened) await weights.close();
    }
  }

  get config(): BridgeTowerConfig {
    return this.model.config;
  }
  get numCrossLayers(): number {
    return this.config.numLayers;
  }

  hasHead(head: HeadName): boolean {
    return !!this.config.heads[head];
  }

  /** The tokenizer that came with the weights (web format: vocab.json + merges.txt in the directory). */
  get tokenizer(): RobertaTokenizer {
    if (!this.tokenizerOrUndefined) {
      throw new TokenizerError(
        `${this.source} has no tokenizer files; convert it with --vocab/--merges or --tokenizer`,
      );
    }
    return this.tokenizerOrUndefined;
  }

  /** Whose code defines this model's outputs: 'hf' for transformers files, 'authors' for microsoft/BridgeTower's. */
  get definition(): 'hf' | 'authors' {
    return this.model.definition;
  }

  /** ITC text embeddings [contrastive size], batched; comparable with embedImage (and embedPair): see ./embeddings.ts. */
  embedText(texts: readonly string[]): Promise<Float32Array[]> {
    return embedText(this.embedder(), texts);
  }

  /** ITC image embeddings [contrastive size], batched; comparable with embedText (and embedPair): see ./embeddings.ts. */
  embedImage(images: readonly ImageInput[]): Promise<Float32Array[]> {
    return embedImage(this.embedder(), images);
  }

  /** HF's cross-modal embedding of one image-text pair (BridgeTowerForContrastiveLearning models only). */
  async embedPair(image: ImageInput, text: string): Promise<Float32Array> {
    return (await embedPairs(this.embedder(), [image], [text]))[0];
  }

  /** embedPair for many pairs, batched. */
  embedPairs(images: readonly ImageInput[], texts: readonly string[]): Promise<Float32Array[]> {
    return embedPairs(this.embedder(), images, texts);
  }

  private embedder(): Embedder {
    return {
      model: this.model,
      source: this.source,
      encodeTexts: (t) => this.encodeTexts(t),
      pixels: (i) => this.pixels(i),
    };
  }

  /**
   * Visual question answering: the top-k answers, best first. With `attentionLayer`, the same forward pass
   * also returns that cross-modal layer's attention map (as crossAttention() would).
   */
  async vqa(
    image: ImageInput,
    question: string,
    { topK = 5, attentionLayer, signal, onProgress }: { topK?: number; attentionLayer?: number } & TaskOptions = {},
  ): Promise<VqaResult> {
    const head = this.requireHead('vqa', 'visual question answering');
    checkTexts([question], 'question');
    const t0 = now();
    if (attentionLayer !== undefined) this.checkLayer(attentionLayer);
    checkAbort(signal);
    onProgress?.({ stage: 'answering', done: 0, total: 1 });
    const attention = attentionLayer === undefined ? [] : [`cross_attn_probs.${attentionLayer}`];
    const out = await this.model.forward(
      { ...this.encodeTexts([question]), pixelValues: await this.pixels([image]) },
      { outputs: ['vqa_logits', ...attention] },
    );
    onProgress?.({ stage: 'answering', done: 1, total: 1 });
    const logits = out.get('vqa_logits')!.data;
    const probs = this.vqaScoring === 'softmax' ? softmax(logits) : logits.map(sigmoid);
    const answers: Answer[] = topIndices(probs, Math.min(topK, head.outFeatures)).map((i) => ({
      answer: this.labels?.[i] ?? String(i),
      score: probs[i],
    }));
    const result: VqaResult = { answers, ms: now() - t0 };
    const cut = this.truncation(question);
    if (cut !== undefined) result.truncatedTo = cut;
    if (attentionLayer !== undefined) result.attention = this.attentionMap(out.get(attention[0])!, attentionLayer);
    return result;
  }

  /**
   * Image-text matching for one image and several texts: ITM probability and ITC cosine similarity, in the order
   * given. Texts go through the cross-modal encoder TEXT_BATCH at a time (progress and cancel between batches).
   */
  async match(
    image: ImageInput,
    texts: readonly string[],
    { signal, onProgress }: TaskOptions = {},
  ): Promise<MatchResult[]> {
    this.requireHead('itm', 'image-text matching');
    checkTexts(texts, 'text');
    if (texts.length === 0) return [];
    checkAbort(signal);
    const features = this.model.imageFeatures(await this.pixels([image]));
    try {
      const wanted = this.hasHead('itc') ? ['itm_logits', 'itc_text', 'itc_image'] : ['itm_logits'];
      const results: MatchResult[] = [];
      onProgress?.({ stage: 'matching captions', done: 0, total: texts.length });
      for (let i = 0; i < texts.length; i += TEXT_BATCH) {
        checkAbort(signal);
        const batch = texts.slice(i, i + TEXT_BATCH);
        const out = await this.model.forward({ ...this.encodeTexts(batch), image: features }, { outputs: wanted });
        const itm = out.get('itm_logits')!;
        const itc = this.hasHead('itc') ? cosines(out.get('itc_text')!, out.get('itc_image')!, 0) : undefined;
        for (const [b, text] of batch.entries()) {
          const p = softmax(itm.data.subarray(2 * b, 2 * b + 2))[1];
          const r: MatchResult = { text, itm: p, itc: itc ? itc[b] : NaN };
          const cut = this.truncation(text);
          if (cut !== undefined) r.truncatedTo = cut;
          results.push(r);
        }
        onProgress?.({ stage: 'matching captions', done: results.length, total: texts.length });
      }
      return results;
    } finally {
      features.dispose();
    }
  }

  /**
   * Rank images for a text: ITC over all, then ITM re-ranking of the best `rerank` (as the original evaluates).
   * Progress counts pictures encoded, then pictures re-ranked; cancel stops between forward passes.
   */
  async retrieveImages(
    text: string,
    images: readonly ImageInput[],
    { topK = images.length, rerank = 16, signal, onProgress }: { topK?: number; rerank?: number } & TaskOptions = {},
  ): Promise<RetrievalHit[]> {
    this.requireHead('itc', 'contrastive retrieval');
    checkTexts([text], 'text');
    checkAbort(signal);
    const textFeature = await this.model.encodeText(...this.textArrays([text]));
    const sims: number[] = [];
    onProgress?.({ stage: 'encoding pictures', done: 0, total: images.length });
    for (let i = 0; i < images.length; i += IMAGE_BATCH) {
      checkAbort(signal);
      const batch = await this.pixels(images.slice(i, i + IMAGE_BATCH));
      const feats = await this.model.encodeImage(batch);
      sims.push(...cosines(textFeature, feats, 'all'));
      onProgress?.({ stage: 'encoding pictures', done: sims.length, total: images.length });
    }
    const hits: RetrievalHit[] = sims.map((itc, index) => ({ index, itc }));
    const total = Math.min(rerank, hits.length);
    let done = 0;
    return this.rerank(hits, rerank, topK, async (hit) => {
      checkAbort(signal);
      if (done === 0) onProgress?.({ stage: 're-ranking by ITM', done, total });
      const itm = (await this.match(images[hit.index], [text]))[0].itm;
      onProgress?.({ stage: 're-ranking by ITM', done: ++done, total });
      return itm;
    });
  }

  /** Rank texts for an image: ITC over all, then ITM re-ranking of the best `rerank`; image features computed once. */
  async retrieveTexts(
    image: ImageInput,
    texts: readonly string[],
    { topK = texts.length, rerank = 16 }: { topK?: number; rerank?: number } = {},
  ): Promise<RetrievalHit[]> {
    this.requireHead('itc', 'contrastive retrieval');
    checkTexts(texts, 'text');
    const pixels = await this.pixels([image]);
    const imageFeature = await this.model.encodeImage(pixels);
    const textFeatures = await this.model.encodeText(...this.textArrays(texts));
    const hits: RetrievalHit[] = cosines(imageFeature, textFeatures, 'all').map((itc, index) => ({ index, itc }));
    if (!this.hasHead('itm')) return hits.sort((a, b) => b.itc - a.itc).slice(0, topK);
    const features = this.model.imageFeatures(pixels);
    try {
      const top = [...hits].sort((a, b) => b.itc - a.itc).slice(0, rerank);
      const out = await this.model.forward(
        { ...this.encodeTexts(top.map((h) => texts[h.index])), image: features },
        { outputs: ['itm_logits'] },
      );
      const itm = out.get('itm_logits')!.data;
      const scores = new Map(top.map((h, b) => [h.index, softmax(itm.subarray(2 * b, 2 * b + 2))[1]]));
      return this.rerank(hits, rerank, topK, async (hit) => scores.get(hit.index)!);
    } finally {
      features.dispose();
    }
  }

  /** Fill the first `<mask>` in `text` (MLM head), conditioned on the image. */
  async fillMask(image: ImageInput, text: string, { topK = 5 }: { topK?: number } = {}): Promise<FillMaskToken[]> {
    this.requireHead('mlm', 'fill-mask');
    checkTexts([text], 'text');
    const tok = this.tokenizer;
    if (tok.maskId === undefined) throw new TokenizerError(`${this.source}: the vocabulary has no <mask> token`);
    const ids = tok.encode(text, this.maxTextLength);
    const position = ids.indexOf(tok.maskId);
    if (position < 0) throw new TokenizerError(`fill-mask needs a <mask> in the text: ${JSON.stringify(text)}`);
    const out = await this.model.forward(
      { ...this.idsToArrays([ids]), pixelValues: await this.pixels([image]) },
      { outputs: ['mlm_logits'] },
    );
    const V = this.config.text.vocabSize;
    const probs = softmax(out.get('mlm_logits')!.data.subarray(position * V, (position + 1) * V));
    return topIndices(probs, topK).map((id) => {
      const filled = ids.slice();
      filled[position] = id;
      return { token: tok.decode([id]), tokenId: id, score: probs[id], sequence: tok.decode(filled) };
    });
  }

  /** NLVR2: is the statement true of the pair of images? */
  async nlvr2(left: ImageInput, right: ImageInput, statement: string): Promise<Nlvr2Result> {
    this.requireHead('nlvr2', 'NLVR2');
    checkTexts([statement], 'statement');
    const out = await this.model.forward(
      {
        ...this.encodeTexts([statement]),
        pixelValues: await this.pixels([left]),
        pixelValues2: await this.pixels([right]),
      },
      { outputs: ['nlvr2_logits'] },
    );
    const p = softmax(out.get('nlvr2_logits')!.data);
    return { answer: p[1] > p[0], score: Math.max(p[0], p[1]) };
  }

  /** SNLI-VE: does the image entail, contradict or leave open the hypothesis? */
  async entailment(image: ImageInput, hypothesis: string): Promise<EntailmentResult> {
    this.requireHead('snli', 'visual entailment');
    checkTexts([hypothesis], 'hypothesis');
    const out = await this.model.forward(
      { ...this.encodeTexts([hypothesis]), pixelValues: await this.pixels([image]) },
      { outputs: ['snli_logits'] },
    );
    const p = softmax(out.get('snli_logits')!.data);
    const best = topIndices(p, 1)[0];
    return { label: SNLI_LABELS[best], scores: { contradiction: p[0], neutral: p[1], entailment: p[2] } };
  }

  /**
   * Where text token 0 looks in the image at cross-modal layer `layer` (0-based): the text-to-image
   * cross-attention probabilities, averaged over heads, laid out on the patch grid.
   */
  async crossAttention(
    image: ImageInput,
    text: string,
    { layer = this.numCrossLayers - 1, signal }: { layer?: number; signal?: AbortSignal } = {},
  ): Promise<AttentionMap> {
    this.checkLayer(layer);
    checkTexts([text], 'text');
    checkAbort(signal);
    const name = `cross_attn_probs.${layer}`;
    const inputs = { ...this.encodeTexts([text]), pixelValues: await this.pixels([image]) };
    const out = (await this.model.forward(inputs, { outputs: [name] })).get(name)!;
    return this.attentionMap(out, layer);
  }

  private checkLayer(layer: number): void {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numCrossLayers) {
      throw new ShapeError(
        `cross-modal layer ${layer} does not exist: this model has layers 0..${this.numCrossLayers - 1}`,
      );
    }
  }

  /** Text token 0's row of a cross_attn_probs output, averaged over heads, on the patch grid. */
  private attentionMap(out: OutputTensor, layer: number): AttentionMap {
    const [, heads, N] = out.shape;
    const mean = new Float32Array(N);
    for (let h = 0; h < heads; h++) for (let n = 0; n < N; n++) mean[n] += out.data[h * N + n] / heads;
    const grid = this.config.vision.imageSize / this.config.vision.patchSize;
    return { layer, gridHeight: grid, gridWidth: grid, weights: mean.slice(1), classWeight: mean[0] };
  }

  /** The token count a text is cut to when it is longer than the model reads; undefined when it fits. */
  private truncation(text: string): number | undefined {
    const max = this.maxTextLength;
    return this.tokenizer.encode(text).length > max ? max : undefined;
  }

  /**
   * Build every GPU pipeline the tasks use (one forward pass of a blank image and `<s></s>` through all the
   * heads and a cross-attention map), so the first real question does not pay for shader compilation.
   * Shapes travel in uniforms, so pipelines built here serve every later text length and batch.
   */
  async warmUp(): Promise<void> {
    const { text, vision } = this.config;
    const S = vision.imageSize;
    const outputs = [
      ...this.model.defaultOutputs().filter((n) => !n.startsWith('img2.') && n !== 'nlvr2_logits'),
      `cross_attn_probs.${this.numCrossLayers - 1}`,
    ];
    await this.model.forward(
      {
        inputIds: { shape: [1, 2], data: Int32Array.of(text.bosTokenId, text.eosTokenId) },
        pixelValues: { shape: [1, 3, S, S], data: new Float32Array(3 * S * S) },
      },
      { outputs },
    );
  }

  /** Free GPU memory (and the device, if this object created it). */
  dispose(): void {
    this.model.dispose();
    if (this.ownsGpu) this.gpu.destroy();
  }

  // --- helpers ---------------------------------------------------------------------------------------

  /** Longest text the model takes: the trained max_text_len, bounded by the position table. */
  private get maxTextLength(): number {
    const t = this.config.text;
    return Math.min(t.maxTextLen, t.maxPositionEmbeddings - t.padTokenId - 1);
  }

  /** `{ truncatedTo }` when `text` is longer than the model reads, otherwise nothing. */
  private requireHead<H extends HeadName>(head: H, task: string): NonNullable<BridgeTowerConfig['heads'][H]> {
    const h = this.config.heads[head];
    if (!h) {
      const have =
        (Object.keys(this.config.heads) as HeadName[]).filter((k) => this.config.heads[k]).join(', ') || 'none';
      throw new HeadUnavailableError(
        head,
        `${task} needs the ${head} head, which ${this.source} does not have (its heads: ${have})`,
      );
    }
    return h as NonNullable<BridgeTowerConfig['heads'][H]>;
  }

  private encodeTexts(texts: readonly string[]) {
    return this.idsToArrays(texts.map((t) => this.tokenizer.encode(t, this.maxTextLength)));
  }

  private textArrays(texts: readonly string[]) {
    const { inputIds, attentionMask } = this.encodeTexts(texts);
    return [inputIds, attentionMask] as const;
  }

  private idsToArrays(rows: readonly number[][]) {
    const L = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(rows.length * L).fill(this.tokenizer.padId);
    const mask = new Int32Array(rows.length * L);
    rows.forEach((r, b) => {
      ids.set(r, b * L);
      mask.fill(1, b * L, b * L + r.length);
    });
    return { inputIds: { shape: [rows.length, L], data: ids }, attentionMask: { shape: [rows.length, L], data: mask } };
  }

  private async pixels(images: readonly ImageInput[]) {
    const rgb = await Promise.all(images.map(toRgb));
    return pixelValues(rgb, {
      size: this.config.vision.imageSize,
      mode: this.imagePreprocess,
      processor: this.config.imageProcessor,
    });
  }

  private async rerank(
    hits: RetrievalHit[],
    rerank: number,
    topK: number,
    itm: (hit: RetrievalHit) => Promise<number>,
  ): Promise<RetrievalHit[]> {
    const byItc = [...hits].sort((a, b) => b.itc - a.itc);
    if (!this.hasHead('itm')) return byItc.slice(0, topK);
    const head = byItc.slice(0, rerank);
    for (const h of head) h.itm = await itm(h);
    head.sort((a, b) => b.itm! - a.itm!);
    return [...head, ...byItc.slice(rerank)].slice(0, topK);
  }
}

/** The directory a URL names (file: URLs through the platform, in Node), or the demo model's files. */
function modelDirectory(source: string | URL | undefined, signal: AbortSignal | undefined): Directory {
  const fetchFn: typeof fetch = (input, init) => fetch(input, { ...init, signal });
  const fileDirectory = platform().fileDirectory;
  if (source === undefined) {
    const files: Record<string, string> = demoModelFiles();
    const manifest = new URL(files['manifest.json']);
    if (manifest.protocol === 'file:' && fileDirectory) return fileDirectory(new URL('.', manifest));
    return new FileMapDirectory('the demo model', files, fetchFn);
  }
  const url = resolveUrl(source);
  if (url.protocol === 'file:') {
    if (!fileDirectory)
      throw new CheckpointError(
        url.href,
        "local files need Node: import { loadBridgeTower } from 'bridgetower-webgpu/node'",
      );
    return fileDirectory(url);
  }
  return new UrlDirectory(url.href, fetchFn);
}

/** Files at arbitrary URLs (a bundler may rename each one), by name. */
class FileMapDirectory implements Directory {
  constructor(
    readonly name: string,
    private readonly files: Record<string, string>,
    private readonly fetchFn: typeof fetch,
  ) {}
  async open(relative: string): Promise<ByteSource | undefined> {
    const url = this.files[relative];
    return url === undefined ? undefined : fetchSource(url, this.fetchFn);
  }
}

/** Reports bytes read from a directory as 'read' progress (totals from the manifest's shard list once known). */
class ProgressDirectory implements Directory {
  private loaded = 0;
  constructor(
    private readonly inner: Directory,
    private readonly opts: LoadOptions,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  async open(relative: string) {
    if (this.opts.signal?.aborted) throw new AbortedError('loading the model was cancelled');
    const src = await this.inner.open(relative);
    if (src) {
      this.loaded += src.size;
      this.opts.onProgress?.({ phase: 'read', loadedBytes: this.loaded, totalBytes: 0, tensors: 0, totalTensors: 0 });
    }
    return src;
  }
}

/** Every task text must say something: an empty or blank one would be answered as if it were a question. */
function checkTexts(texts: readonly string[], what: string): void {
  texts.forEach((t, i) => {
    const name = texts.length > 1 ? `the ${what} #${i + 1}` : `the ${what}`;
    if (typeof t !== 'string') throw new TextError(`${name} is not a string`);
    if (t.trim() === '') throw new TextError(`${name} is empty`);
  });
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError('cancelled');
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function softmax(x: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i]);
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
  for (let i = 0; i < x.length; i++) out[i] /= sum;
  return out;
}

function topIndices(x: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: x.length }, (_, i) => i)
    .sort((a, b) => x[b] - x[a] || a - b)
    .slice(0, Math.max(0, k));
}

/**
 * Cosine similarities of L2-normalised feature rows (plain dot products). Mode 0: row b of `a` with row 0
 * of `other`, for every b; 'all': row 0 of `a` with every row of `other`.
 */
function cosines(a: OutputTensor, other: OutputTensor, mode: 0 | 'all'): number[] {
  const D = a.shape[a.shape.length - 1];
  const dot = (x: Float32Array, i: number, y: Float32Array, j: number) => {
    let s = 0;
    for (let d = 0; d < D; d++) s += x[i * D + d] * y[j * D + d];
    return s;
  };
  if (mode === 0) return Array.from({ length: a.shape[0] }, (_, b) => dot(a.data, b, other.data, 0));
  return Array.from({ length: other.shape[0] }, (_, b) => dot(a.data, 0, other.data, b));
}
