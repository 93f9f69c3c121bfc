// The public task API: load a BridgeTower once, then ask it questions about images. A façade: loading is in
// ./load.ts, each task family in a module of its own (./questions.ts, ./matching.ts, ./fill-mask.ts,
// ./entailment.ts, ./attention.ts, ./embeddings.ts), the score maths in ./scores.ts.
import type { BridgeTowerConfig, ImagePreprocess } from '../common/config';
import { AbortedError, DisposedError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import type { BridgeTowerModel } from '../model/bridgetower';
import type { RobertaTokenizer } from '../preprocess/tokenizer';
import { crossAttention } from './attention';
import { checkHeadName } from './checks';
import type { TaskContext } from './context';
import { embedImage, embedPairs, embedText } from './embeddings';
import { entailment, judgePair } from './entailment';
import { fillMask } from './fill-mask';
import { loadTower, pipelineOutputs, type BridgeTowerLoadOptions, type LoadedTower, type ModelSource } from './load';
import { matchTexts, retrieveImages, retrieveTexts, type RetrievalOptions } from './matching';
import { answerQuestion, type VqaOptions } from './questions';
import type {
  AttentionMap,
  EntailmentResult,
  FillMaskToken,
  HeadName,
  ImageInput,
  MatchResult,
  Nlvr2Result,
  RetrievalHit,
  TaskOptions,
  VqaResult,
} from './types';

export class BridgeTower {
  readonly gpu: Gpu;
  private readonly ownsGpu: boolean;
  private readonly context: TaskContext;
  /** Aborted by dispose(): every task's signal includes it. */
  private readonly disposal = new AbortController();
  /** The tasks under way; the model is freed when the last one settles after dispose(). */
  private readonly running = new Set<Promise<unknown>>();

  private constructor(parts: LoadedTower) {
    this.gpu = parts.gpu;
    this.ownsGpu = parts.ownsGpu;
    this.context = parts.context;
  }

  /**
   * Load from a Hugging Face model id ('org/name', 'hf:org/name@revision'), a URL of a web-format directory
   * or of a folder in the hub's layout (relative URLs resolve against the page), a WeightSet or a Directory;
   * with `bridgetower-webgpu/node` imported, also a path (against the working directory) or file: URL of such
   * a folder or of a single weight file. Without a source: the demo model shipped with the package.
   */
  static async load(source?: ModelSource, opts: BridgeTowerLoadOptions = {}): Promise<BridgeTower> {
    return new BridgeTower(await loadTower(source, opts));
  }

  /** The graph (advanced use: `bridgetower-webgpu/advanced` documents it). */
  get model(): BridgeTowerModel {
    return this.context.model;
  }
  get config(): BridgeTowerConfig {
    return this.context.config;
  }
  /** Answer strings of the VQA head (index = logit), when the weights carry them. */
  get labels(): string[] | undefined {
    return this.context.labels;
  }
  get imagePreprocess(): ImagePreprocess {
    return this.context.imagePreprocess;
  }
  /** Where the weights came from (a path, a URL, a hub id), as messages name it. */
  get source(): string {
    return this.context.source;
  }
  get numCrossLayers(): number {
    return this.config.numLayers;
  }

  hasHead(head: HeadName): boolean {
    checkHeadName(head);
    return this.context.hasHead(head);
  }

  /** The tokenizer that came with the weights (web format: vocab.json + merges.txt in the directory). */
  get tokenizer(): RobertaTokenizer {
    return this.context.tokenizer;
  }

  /** Whose code defines this model's outputs: 'hf' for transformers files, 'authors' for microsoft/BridgeTower's. */
  get definition(): 'hf' | 'authors' {
    return this.model.definition;
  }

  /** ITC text embeddings [contrastive size], batched; comparable with embedImage (and embedPair): see ./embeddings.ts. */
  embedText(texts: readonly string[], opts?: TaskOptions): Promise<Float32Array[]> {
    return this.task('embedText', opts, (signal) => embedText(this.context, texts, opts, signal));
  }

  /**
   * ITC image embeddings [contrastive size], batched; comparable with embedText (and embedPair): see
   * ./embeddings.ts. Progress counts pictures and ticks within each batch; cancel stops a pass at its next stage.
   */
  embedImage(images: readonly ImageInput[], opts?: TaskOptions): Promise<Float32Array[]> {
    return this.task('embedImage', opts, (signal) => embedImage(this.context, images, opts, signal));
  }

  /** HF's cross-modal embedding of one image-text pair (BridgeTowerForContrastiveLearning models only). */
  embedPair(image: ImageInput, text: string, opts?: TaskOptions): Promise<Float32Array> {
    return this.task('embedPair', opts, async (signal) => {
      return (await embedPairs(this.context, [image], [text], opts, signal, 'embedPair'))[0];
    });
  }

  /** embedPair for many pairs, batched. */
  embedPairs(images: readonly ImageInput[], texts: readonly string[], opts?: TaskOptions): Promise<Float32Array[]> {
    return this.task('embedPairs', opts, (signal) =>
      embedPairs(this.context, images, texts, opts, signal, 'embedPairs'),
    );
  }

  /**
   * Visual question answering: the top-k answers, best first. With `attentionLayer`, the same forward pass
   * also returns that cross-modal layer's attention map (as crossAttention() would).
   */
  vqa(image: ImageInput, question: string, opts?: VqaOptions): Promise<VqaResult> {
    return this.task('vqa', opts, (signal) => answerQuestion(this.context, image, question, opts, signal));
  }

  /**
   * Image-text matching for one image and several texts: ITM probability and ITC cosine similarity, in the
   * order given; progress and cancel between batches of texts.
   */
  match(image: ImageInput, texts: readonly string[], opts?: TaskOptions): Promise<MatchResult[]> {
    return this.task('match', opts, (signal) => matchTexts(this.context, image, texts, opts, signal));
  }

  /**
   * Rank images for a text: ITC over all, then ITM re-ranking of the best `rerank` (as the original evaluates).
   * Progress counts pictures encoded, then pictures re-ranked, and ticks within each pass; cancel stops a pass at
   * its next stage.
   */
  retrieveImages(
    text: string,
    images: readonly ImageInput[],
    opts?: RetrievalOptions & TaskOptions,
  ): Promise<RetrievalHit[]> {
    return this.task('retrieveImages', opts, (signal) => retrieveImages(this.context, text, images, opts, signal));
  }

  /** Rank texts for an image: ITC over all, then ITM re-ranking of the best `rerank`; image features computed once. */
  retrieveTexts(
    image: ImageInput,
    texts: readonly string[],
    opts?: RetrievalOptions & TaskOptions,
  ): Promise<RetrievalHit[]> {
    return this.task('retrieveTexts', opts, (signal) => retrieveTexts(this.context, image, texts, opts, signal));
  }

  /** Fill the first `<mask>` in `text` (MLM head), conditioned on the image. */
  fillMask(
    image: ImageInput,
    text: string,
    opts?: {
      /**
       * How many tokens, best first.
       * @default 5
       */
      topK?: number;
    },
  ): Promise<FillMaskToken[]> {
    return this.task('fillMask', undefined, () => fillMask(this.context, image, text, opts));
  }

  /** NLVR2: is the statement true of the pair of images? */
  nlvr2(left: ImageInput, right: ImageInput, statement: string): Promise<Nlvr2Result> {
    return this.task('nlvr2', undefined, () => judgePair(this.context, left, right, statement));
  }

  /** SNLI-VE: does the image entail, contradict or leave open the hypothesis? */
  entailment(image: ImageInput, hypothesis: string): Promise<EntailmentResult> {
    return this.task('entailment', undefined, () => entailment(this.context, image, hypothesis));
  }

  /**
   * Where text token 0 looks in the image at cross-modal layer `layer` (0-based, default the last): the
   * text-to-image cross-attention probabilities, averaged over heads, laid out on the patch grid.
   */
  crossAttention(
    image: ImageInput,
    text: string,
    opts?: {
      /**
       * The cross-modal layer, 0-based.
       * @default the last
       */
      layer?: number;
      /** @default none */
      signal?: AbortSignal;
    },
  ): Promise<AttentionMap> {
    return this.task('crossAttention', opts, (signal) => crossAttention(this.context, image, text, opts, signal));
  }

  /**
   * Build every GPU pipeline the tasks use (traced from a pass through all the heads and a cross-attention map,
   * compiled in parallel; `load` already does this, so it returns at once unless a pipeline is missing). Shapes
   * travel in uniforms, so the pipelines serve every later text length and batch.
   */
  warmUp(): Promise<void> {
    return this.task('warmUp', undefined, async () => {
      await this.model.compile({ outputs: pipelineOutputs(this.model) });
    });
  }

  /** Whether dispose() was called (every task then refuses with a DisposedError). */
  get disposed(): boolean {
    return this.disposal.signal.aborted;
  }

  /**
   * Free GPU memory (and the device, if this object created it). Every later call refuses with a DisposedError.
   * Tasks under way stop with a DisposedError at their next check (between passes, or at the next stage of a
   * staged pass) or finish their pass; the memory is freed once the last of them has settled, never under a pass.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposal.abort();
    if (this.running.size === 0) this.free();
  }

  private free(): void {
    this.model.dispose();
    if (this.ownsGpu) this.gpu.destroy();
  }

  /**
   * Run one public task: refused once disposed; its signal is the caller's joined with dispose()'s, so that
   * disposing stops it as cancelling would, and the model is freed only after the last task settles.
   */
  private task<T>(method: string, opts: unknown, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.disposed)
      return Promise.reject(new DisposedError(`${method}: this model was disposed (load it again to use it)`));
    const own = callerSignal(opts);
    const signal = own ? AbortSignal.any([own, this.disposal.signal]) : this.disposal.signal;
    const done = run(signal)
      .catch((e: unknown) => {
        if (e instanceof AbortedError && this.disposed && !own?.aborted)
          throw new DisposedError(`${method}: the model was disposed while this task ran`);
        throw e;
      })
      .finally(() => {
        this.running.delete(done);
        if (this.disposed && this.running.size === 0) this.free();
      });
    this.running.add(done);
    return done;
  }
}

/** The caller's AbortSignal among a task's options, when there is one (checkOptions refuses anything else). */
function callerSignal(opts: unknown): AbortSignal | undefined {
  const signal = typeof opts === 'object' && opts !== null ? (opts as { signal?: unknown }).signal : undefined;
  return signal instanceof AbortSignal ? signal : undefined;
}
