// The public task API's types: what `BridgeTower.load` accepts and what each task returns.
import type { ImagePreprocess } from '../common/config';
import type { ImageInput } from '../preprocess/image-input';
import type { LoadProgress, TaskOptions, TaskProgress } from '../common/progress';

export type { ImageInput, LoadProgress, TaskOptions, TaskProgress };

export interface LoadOptions {
  /**
   * Called as weight bytes are read, converted and uploaded.
   * @default none
   */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Aborting it cancels the load with an AbortedError.
   * @default none
   */
  signal?: AbortSignal;
  /**
   * Override the preprocessing mode the checkpoint declares.
   * @default the checkpoint's mode
   */
  imagePreprocess?: ImagePreprocess;
}

export interface Answer {
  answer: string;
  score: number;
}
export interface VqaResult {
  answers: Answer[];
  ms: number;
  /** The question was longer than the model reads and was cut to this many tokens. */
  truncatedTo?: number;
  /** With `attentionLayer`: the cross-attention of that layer, from the same forward pass. */
  attention?: AttentionMap;
}
export interface MatchResult {
  text: string;
  itm: number;
  itc: number;
  /** The text was longer than the model reads and was cut to this many tokens. */
  truncatedTo?: number;
}
export interface RetrievalHit {
  index: number;
  itc: number;
  itm?: number;
}
export interface FillMaskToken {
  token: string;
  tokenId: number;
  score: number;
  sequence: string;
}
export interface Nlvr2Result {
  answer: boolean;
  score: number;
}
export interface EntailmentResult {
  label: 'entailment' | 'neutral' | 'contradiction';
  scores: Record<'entailment' | 'neutral' | 'contradiction', number>;
}
/** Cross-attention of text token 0 over the image patches at one cross-modal layer, averaged over heads. */
export interface AttentionMap {
  layer: number;
  gridHeight: number;
  gridWidth: number;
  weights: Float32Array;
  classWeight: number;
}

export type HeadName = 'vqa' | 'itm' | 'itc' | 'mlm' | 'nlvr2' | 'snli' | 'irtr';
