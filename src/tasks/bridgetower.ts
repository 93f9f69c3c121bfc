// The public task API: load a BridgeTower once, then ask it questions about images. A façade: loading is in
// ./load.ts, each task family in a module of its own (./questions.ts, ./matching.ts, ./fill-mask.ts,
// ./entailment.ts, ./attention.ts, ./embeddings.ts), the score maths in ./scores.ts.
import type { BridgeTowerConfig, ImagePreprocess } from '../common/config';
import type { Gpu } from '../gpu/runtime';
import type { BridgeTowerModel } from '../model/bridgetower';
import type { RobertaTokenizer } from '../preprocess/tokenizer';
import { crossAttention } from './attention';
import type { TaskContext } from './context';
import { embedImage, embedPairs, embedText } from './embeddings';
import { entailment, judgePair } from './entailment';
import { fillMask } from './fill-mask';
import { loadTower, type BridgeTowerLoadOptions, type ModelSource } from './load';
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

/** What a BridgeTower is made of (BridgeTower.load builds it). */
export interface BridgeTowerParts {
  gpu: Gpu;
  /** Whether `gpu` was created for this model and is destroyed by dispose(). */
  ownsGpu: boolean;
  context: TaskContext;
}

export class BridgeTower {
  readonly gpu: Gpu;
  private readonly ownsGpu: boolean;
  private readonly context: TaskContext;

  private constructor(parts: BridgeTowerParts) {
    this.gpu = parts.gpu;
    this.ownsGpu = parts.ownsGpu;
    this.context = parts.context;
  }

  /**
   * Load from a Hugging Face model id ('org/name', 'hf:org/name@revision'), a URL of a web-format directory
   * or of a folder in the hub's layout (relative URLs resolve against the page, or the working directory in
   * Node), a WeightSet or a Directory. Without a source: the demo model shipped with the package.
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
  embedText(texts: readonly string[]): Promise<Float32Array[]> {
    return embedText(this.context, texts);
  }

  /** ITC image embeddings [contrastive size], batched; comparable with embedText (and embedPair): see ./embeddings.ts. */
  embedImage(images: readonly ImageInput[]): Promise<Float32Array[]> {
    return embedImage(this.context, images);
  }

  /** HF's cross-modal embedding of one image-text pair (BridgeTowerForContrastiveLearning models only). */
  async embedPair(image: ImageInput, text: string): Promise<Float32Array> {
    return (await embedPairs(this.context, [image], [text]))[0];
  }

  /** embedPair for many pairs, batched. */
  embedPairs(images: readonly ImageInput[], texts: readonly string[]): Promise<Float32Array[]> {
    return embedPairs(this.context, images, texts);
  }

  /**
   * Visual question answering: the top-k answers, best first. With `attentionLayer`, the same forward pass
   * also returns that cross-modal layer's attention map (as crossAttention() would).
   */
  vqa(image: ImageInput, question: string, opts: VqaOptions = {}): Promise<VqaResult> {
    return answerQuestion(this.context, image, question, opts);
  }

  /**
   * Image-text matching for one image and several texts: ITM probability and ITC cosine similarity, in the
   * order given; progress and cancel between batches of texts.
   */
  match(image: ImageInput, texts: readonly string[], opts: TaskOptions = {}): Promise<MatchResult[]> {
    return matchTexts(this.context, image, texts, opts);
  }

  /**
   * Rank images for a text: ITC over all, then ITM re-ranking of the best `rerank` (as the original evaluates).
   * Progress counts pictures encoded, then pictures re-ranked; cancel stops between forward passes.
   */
  retrieveImages(
    text: string,
    images: readonly ImageInput[],
    opts: RetrievalOptions & TaskOptions = {},
  ): Promise<RetrievalHit[]> {
    return retrieveImages(this.context, text, images, opts);
  }

  /** Rank texts for an image: ITC over all, then ITM re-ranking of the best `rerank`; image features computed once. */
  retrieveTexts(image: ImageInput, texts: readonly string[], opts: RetrievalOptions = {}): Promise<RetrievalHit[]> {
    return retrieveTexts(this.context, image, texts, opts);
  }

  /** Fill the first `<mask>` in `text` (MLM head), conditioned on the image. */
  fillMask(
    image: ImageInput,
    text: string,
    {
      topK = 5,
    }: {
      /**
       * How many tokens, best first.
       * @default 5
       */
      topK?: number;
    } = {},
  ): Promise<FillMaskToken[]> {
    return fillMask(this.context, image, text, topK);
  }

  /** NLVR2: is the statement true of the pair of images? */
  nlvr2(left: ImageInput, right: ImageInput, statement: string): Promise<Nlvr2Result> {
    return judgePair(this.context, left, right, statement);
  }

  /** SNLI-VE: does the image entail, contradict or leave open the hypothesis? */
  entailment(image: ImageInput, hypothesis: string): Promise<EntailmentResult> {
    return entailment(this.context, image, hypothesis);
  }

  /**
   * Where text token 0 looks in the image at cross-modal layer `layer` (0-based, default the last): the
   * text-to-image cross-attention probabilities, averaged over heads, laid out on the patch grid.
   */
  crossAttention(
    image: ImageInput,
    text: string,
    {
      layer = this.numCrossLayers - 1,
      signal,
    }: {
      /**
       * The cross-modal layer, 0-based.
       * @default the last
       */
      layer?: number;
      /** @default none */
      signal?: AbortSignal;
    } = {},
  ): Promise<AttentionMap> {
    return crossAttention(this.context, image, text, layer, signal);
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
}
