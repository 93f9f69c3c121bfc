// The one description of a BridgeTower model that the graph runner needs. The checkpoint readers
// (src/checkpoint/) produce it from `hyper_parameters.config`, an HF `config.json`, or tensor shapes;
// the web format stores it verbatim in its manifest.

export type ImagePreprocess = 'blip' | 'clip' | 'hf';

/** A two-layer task head: Linear(in -> hidden), LayerNorm(1e-5), GELU, Linear(hidden -> out); or one Linear. */
export interface TaskHeadConfig {
  /** 1: a single Linear; 2: Linear, LayerNorm, GELU, Linear (original `task_head_layers`). */
  layers: 1 | 2;
  /** Input width: 2H for vqa/snli, 4H for nlvr2. */
  inFeatures: number;
  /** Hidden width of the 2-layer head (int(in_base * head_hidden_scale)); 0 when layers = 1. */
  hidden: number;
  /** Number of output logits. */
  outFeatures: number;
}

export interface BridgeTowerConfig {
  /** Cross-modal stack: hidden size H, heads, layer count C, FFN = H * mlpRatio. */
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  crossIntermediateSize: number;

  vision: {
    /** Hv, CLIP ViT width. */
    width: number;
    layers: number;
    heads: number;
    patchSize: number;
    /** Image side S the positional embedding is laid out for; N = (S/P)^2 + 1 tokens. */
    imageSize: number;
    /** false: the ITC image feature uses ln_separate[Lv-1] instead of ln_post. */
    layernormShared: boolean;
  };

  text: {
    /** Ht, RoBERTa width. */
    hiddenSize: number;
    layers: number;
    heads: number;
    intermediateSize: number;
    vocabSize: number;
    maxPositionEmbeddings: number;
    /** RoBERTa's own token-type table rows (1 for roberta-base). */
    typeVocabSize: number;
    padTokenId: number;
    bosTokenId: number;
    eosTokenId: number;
    /** Longest tokenised text the model was trained with (original `max_text_len`). */
    maxTextLen: number;
  };

  /** Rows of the cross-modal `token_type_embeddings`: 2, or 3 for NLVR2. */
  tokenTypes: number;

  /** Heads present in the weights. */
  heads: {
    vqa?: TaskHeadConfig;
    snli?: TaskHeadConfig;
    nlvr2?: TaskHeadConfig;
    itm?: boolean;
    /** Contrastive feature size (original `contrastive_hidden_size`). */
    itc?: { dim: number };
    mlm?: boolean;
    /** IRTR `rank_output` (shares storage with itm_score.fc rows 1: in the original). */
    irtr?: boolean;
  };

  imagePreprocess: ImagePreprocess;
}

/** Layer index at which the uni-modal towers hand over to the cross-modal stack (fixtures README, step 4). */
export function splitIndex(c: BridgeTowerConfig): number {
  return c.text.layers - c.numLayers + 1;
}
