// The public task API's types: what `BridgeTower.load` accepts and what each task returns.
import type { ImagePreprocess } from '../model/config';

/** An image in any form the library accepts. Node: PNG/JPEG bytes or a file path (CLI). Browser: also Blob/File, URL, bitmap, canvas. */
export type ImageInput =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | string
  | URL
  | { width: number; height: number; data: Uint8Array | Uint8ClampedArray; channels?: 3 | 4 }
  | ImageBitmap
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageData;

export interface LoadProgress {
  /** fetch/read: bytes of weight files; convert: bytes of a checkpoint converted in the page; upload: tensors sent to the GPU. */
  phase: 'read' | 'convert' | 'upload';
  loadedBytes: number;
  totalBytes: number;
  tensors: number;
  totalTensors: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Override the preprocessing mode the checkpoint declares. */
  imagePreprocess?: ImagePreprocess;
}

export interface Answer { answer: string; score: number }
/** `truncatedTo`: present when the text was longer than the model reads; the number of tokens it kept (with <s>, </s>). */
export interface VqaResult { answers: Answer[]; ms: number; truncatedTo?: number }
export interface MatchResult { text: string; itm: number; itc: number; truncatedTo?: number }
export interface RetrievalHit { index: number; itc: number; itm?: number }
export interface FillMaskToken { token: string; tokenId: number; score: number; sequence: string }
export interface Nlvr2Result { answer: boolean; score: number }
export interface EntailmentResult { label: 'entailment' | 'neutral' | 'contradiction'; scores: Record<'entailment' | 'neutral' | 'contradiction', number> }
/** Cross-attention of text token 0 over the image patches at one cross-modal layer, averaged over heads. */
export interface AttentionMap { layer: number; gridHeight: number; gridWidth: number; weights: Float32Array; classWeight: number }

export type HeadName = 'vqa' | 'itm' | 'itc' | 'mlm' | 'nlvr2' | 'snli' | 'irtr';
