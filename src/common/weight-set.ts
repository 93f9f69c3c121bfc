// What every weight source (original .ckpt, HF safetensors / pytorch_model.bin, our web format) looks like
// to the rest of the project: a config plus lazily read tensors under canonical (original state_dict) names.
import type { BridgeTowerConfig } from './config';
import type { DType, HostTensor } from './tensor';

export interface TensorInfo {
  dtype: DType;
  shape: number[];
}

export interface TokenizerFiles {
  /** vocab.json contents: token -> id. */
  vocab: Record<string, number>;
  /** merges.txt lines after the `#version` header, one "left right" per rank. */
  merges: string[];
}

export interface WeightSet {
  /** Where the weights came from, for messages (a path, a URL or a file name). */
  readonly source: string;
  readonly config: BridgeTowerConfig;
  /** Canonical names of the tensors inference uses, in a stable order. */
  names(): string[];
  info(name: string): TensorInfo | undefined;
  /** Read one tensor's data (throws MissingTensorError if absent). f16 stays f16 (raw bits). */
  read(name: string): Promise<HostTensor>;
  readonly tokenizer?: TokenizerFiles | undefined;
  /** Answer strings for the VQA head, index = logit index. */
  readonly labels?: string[] | undefined;
  /** Release file handles. */
  close(): Promise<void>;
}
