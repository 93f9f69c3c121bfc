// What every task needs from a loaded model: the graph, the tokenizer, the labels and the image preprocessing,
// and the shared steps from a user's inputs to the graph's (token rows, pixel batches) and back.
import { HeadUnavailableError, TokenizerError } from '../errors';
import type { BridgeTowerConfig, ImagePreprocess } from '../common/config';
import type { BridgeTowerModel, HostArray, IdData } from '../model/bridgetower';
import { pixelValues } from '../preprocess/image';
import type { RobertaTokenizer } from '../preprocess/tokenizer';
import { imageName } from './checks';
import { readImage } from './images';
import type { HeadName, ImageInput } from './types';

export interface TextArrays {
  inputIds: HostArray<IdData>;
  attentionMask: HostArray<IdData>;
}

export interface TaskContextParts {
  model: BridgeTowerModel;
  tokenizer: RobertaTokenizer | undefined;
  labels: string[] | undefined;
  imagePreprocess: ImagePreprocess;
  /** How VQA logits become probabilities (see BridgeTowerLoadOptions.vqaScoring). */
  vqaScoring: 'softmax' | 'sigmoid';
  /** Where the weights came from, for messages. */
  source: string;
}

export class TaskContext {
  readonly model: BridgeTowerModel;
  readonly labels: string[] | undefined;
  readonly imagePreprocess: ImagePreprocess;
  readonly vqaScoring: 'softmax' | 'sigmoid';
  readonly source: string;
  private readonly tokenizerOrUndefined: RobertaTokenizer | undefined;

  constructor(parts: TaskContextParts) {
    this.model = parts.model;
    this.tokenizerOrUndefined = parts.tokenizer;
    this.labels = parts.labels;
    this.imagePreprocess = parts.imagePreprocess;
    this.vqaScoring = parts.vqaScoring;
    this.source = parts.source;
  }

  get config(): BridgeTowerConfig {
    return this.model.config;
  }

  get tokenizer(): RobertaTokenizer {
    if (!this.tokenizerOrUndefined) {
      throw new TokenizerError(
        `${this.source} has no tokenizer files; convert it with --vocab/--merges or --tokenizer`,
      );
    }
    return this.tokenizerOrUndefined;
  }

  hasHead(head: HeadName): boolean {
    return !!this.config.heads[head];
  }

  /** The head a task needs, or a HeadUnavailableError naming the heads this model has. */
  requireHead<H extends HeadName>(head: H, task: string): NonNullable<BridgeTowerConfig['heads'][H]> {
    const h = this.config.heads[head];
    if (!h) {
      const have =
        (Object.keys(this.config.heads) as HeadName[]).filter((k) => this.config.heads[k]).join(', ') || 'none';
      throw new HeadUnavailableError(
        head,
        `${task} needs the ${head} head, which ${this.source} does not have (its heads: ${have})`,
      );
    }
    return h;
  }

  /** Longest text the model takes: the trained max_text_len, bounded by the position table. */
  get maxTextLength(): number {
    const t = this.config.text;
    return Math.min(t.maxTextLen, t.maxPositionEmbeddings - t.padTokenId - 1);
  }

  /** The token count a text is cut to when it is longer than the model reads; undefined when it fits. */
  truncation(text: string): number | undefined {
    const max = this.maxTextLength;
    return this.tokenizer.encode(text).length > max ? max : undefined;
  }

  /** Texts as padded token rows and their attention mask (each cut to what the model reads). */
  encodeTexts(texts: readonly string[]): TextArrays {
    return this.idsToArrays(texts.map((t) => this.tokenizer.encode(t, this.maxTextLength)));
  }

  idsToArrays(rows: readonly number[][]): TextArrays {
    const L = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(rows.length * L).fill(this.tokenizer.padId);
    const mask = new Int32Array(rows.length * L);
    rows.forEach((r, b) => {
      ids.set(r, b * L);
      mask.fill(1, b * L, b * L + r.length);
    });
    return { inputIds: { shape: [rows.length, L], data: ids }, attentionMask: { shape: [rows.length, L], data: mask } };
  }

  /** Images decoded and preprocessed as the checkpoint was trained: [batch, 3, S, S]. */
  async pixels(images: readonly ImageInput[]): Promise<HostArray<Float32Array>> {
    const rgb = await Promise.all(images.map((image, i) => readImage(image, imageName(images, i))));
    return pixelValues(rgb, {
      size: this.config.vision.imageSize,
      mode: this.imagePreprocess,
      processor: this.config.imageProcessor,
    });
  }
}
