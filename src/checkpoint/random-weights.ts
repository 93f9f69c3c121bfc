// Random-weight BridgeTower models at any size, for tests and benchmarks: every tensor the config implies,
// drawn from a seeded PRNG with scales that keep activations O(1) (so every parameter affects the outputs).
// tools/make-random-model.ts writes them to disk; `bridgetower bench-model` and the tests use them in memory.
import { expectedTensors } from '../common/parameters';
import { mulberry32 } from '../common/random';
import type { HostTensor } from '../common/tensor';
import type { ConvertibleWeights } from './web-format-write';
import type { TensorInfo } from '../common/weight-set';
import { MissingTensorError } from '../errors';
import type { BridgeTowerConfig } from '../common/config';

/** roberta-base + CLIP ViT-B/16 at 288 px with 6 cross-modal layers, and the given heads. */
export function baseConfig(
  opts: {
    textLayers?: number;
    visionLayers?: number;
    crossLayers?: number;
    imageSize?: number;
    heads?: BridgeTowerConfig['heads'];
  } = {},
): BridgeTowerConfig {
  const H = 768;
  const textLayers = opts.textLayers ?? 12;
  return {
    hiddenSize: H,
    numHeads: 12,
    numLayers: opts.crossLayers ?? 6,
    crossIntermediateSize: 4 * H,
    vision: {
      width: 768,
      layers: opts.visionLayers ?? textLayers,
      heads: 12,
      patchSize: 16,
      imageSize: opts.imageSize ?? 288,
      layernormShared: true,
    },
    text: {
      hiddenSize: H,
      layers: textLayers,
      heads: 12,
      intermediateSize: 3072,
      vocabSize: 50265,
      maxPositionEmbeddings: 514,
      typeVocabSize: 1,
      padTokenId: 1,
      bosTokenId: 0,
      eosTokenId: 2,
      maxTextLen: 40,
    },
    tokenTypes: 2,
    heads: opts.heads ?? { vqa: { layers: 2, inFeatures: 2 * H, hidden: 4 * H, outFeatures: 3129 } },
    imagePreprocess: 'blip',
  };
}

export const PRESETS: Record<string, () => BridgeTowerConfig> = {
  /** The benchmark: full depth, the heads of a VQA checkpoint. */
  'base-vqa': () => baseConfig(),
  /** The heads of BridgeTower/bridgetower-base-itm-mlm's retrieval use (ITM and ITC at 256): search benchmarks. */
  'base-itm-itc': () => baseConfig({ heads: { itm: true, itc: { dim: 256 } } }),
  /**
   * The base-width test: real widths, vocabulary and image tokens, reduced depth, separate ViT LayerNorms, and
   * heads of both shapes (VQA with 2 layers and head_hidden_scale 1.5, SNLI-VE with 1).
   */
  'base-reduced': () => {
    const c = baseConfig({
      textLayers: 2,
      visionLayers: 2,
      crossLayers: 2,
      heads: {
        mlm: true,
        itm: true,
        itc: { dim: 256 },
        irtr: true,
        vqa: { layers: 2, inFeatures: 1536, hidden: 2304, outFeatures: 3129 },
        snli: { layers: 1, inFeatures: 1536, hidden: 0, outFeatures: 3 },
      },
    });
    return { ...c, vision: { ...c.vision, layernormShared: false } };
  },
};

/**
 * Uniform values whose scale depends on the tensor's role: matrices ±√(3/fan_in) (unit output variance),
 * LayerNorm weights 1 ± 0.2, biases and LayerNorm biases ±0.1, embedding tables ±0.5.
 */
function randomTensor(name: string, shape: number[], rand: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const isNorm = /(LayerNorm|ln_\w+|ln_separate\.\d+|layernorm|classifier\.1)\.(weight|bias)$/.test(name);
  const isEmbedding = /embeddings?\.weight$|class_embedding$|positional_embedding$/.test(name);
  let lo: number, hi: number;
  if (isNorm && name.endsWith('.weight')) [lo, hi] = [0.8, 1.2];
  else if (isEmbedding) [lo, hi] = [-0.5, 0.5];
  else if (shape.length >= 2) {
    const a = Math.sqrt(3 / (n / shape[0]));
    [lo, hi] = [-a, a];
  } else [lo, hi] = [-0.1, 0.1];
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rand();
  return data;
}

/** Every tensor `config` implies, under canonical names, f32. */
export function randomWeights(config: BridgeTowerConfig, seed = 1): Map<string, HostTensor> {
  const rand = mulberry32(seed);
  const out = new Map<string, HostTensor>();
  for (const [name, shape] of expectedTensors(config))
    out.set(name, { dtype: 'f32', shape, data: randomTensor(name, shape, rand) });
  return out;
}

/** An in-memory weight source (what the web-format writer and BridgeTowerModel.load read). */
export class MemoryWeights implements ConvertibleWeights {
  readonly skipped: readonly string[] = [];
  readonly format = 'random';
  constructor(
    readonly config: BridgeTowerConfig,
    private readonly tensors: Map<string, HostTensor>,
    readonly source = 'random weights',
  ) {}
  names(): string[] {
    return [...this.tensors.keys()];
  }
  info(name: string): TensorInfo | undefined {
    const t = this.tensors.get(name);
    return t && { dtype: t.dtype, shape: t.shape.slice() };
  }
  async read(name: string): Promise<HostTensor> {
    const t = this.tensors.get(name);
    if (!t) throw new MissingTensorError(name, this.source);
    return t;
  }
  async close(): Promise<void> {}
}
