// The CLIP ViT image tower (pre-LN resblocks, QuickGELU, fused in_proj q/k/v), fixtures README step 3.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { attention } from '../kernels/attention';
import { classPositionEmbed } from '../kernels/class-position-embed';
import { linear, type ActivationDType, type LinearNorm } from '../kernels/linear';
import { patchEmbed } from '../kernels/patch-embed';
import { definitions, type BridgeTowerConfig } from '../common/config';
import type { ModelWeights } from './weights';

const V = 'vit_model.visual';

export class ClipVisionTower {
  readonly width: number;
  readonly heads: number;
  /** Every CLIP LayerNorm (ln_pre, ln_1, ln_2, ln_post, ln_separate): the authors' 1e-5, HF's vision_config eps. */
  readonly eps: number;

  constructor(
    private readonly gpu: Gpu,
    private readonly w: ModelWeights,
    config: BridgeTowerConfig,
    /** The dtype of activations only matrix products read (qkv, context, MLP intermediate). */
    private readonly inner: ActivationDType,
  ) {
    this.width = config.vision.width;
    this.heads = config.vision.heads;
    this.eps = definitions(config).layerNormEps.vision;
  }

  /** image_pre = ln_pre(class token + patch embeddings + positional embedding) [B, N, Hv]. */
  embed(pixels: GpuTensor): GpuTensor {
    const patches = patchEmbed(this.gpu, pixels, this.w.get(`${V}.conv1.weight`));
    const tokens = classPositionEmbed(
      this.gpu,
      patches,
      this.w.get(`${V}.class_embedding`),
      this.w.get(`${V}.positional_embedding`),
    );
    patches.release();
    const x = this.w.layerNorm(`${V}.ln_pre`, this.eps)(tokens);
    tokens.release();
    return x;
  }

  /** Resblock i: x + out_proj(attn(ln_1 x)), then + c_proj(quickgelu(c_fc(ln_2 x))); ln_1, ln_2 fused into qkv, c_fc. */
  resblock(i: number, x: GpuTensor): GpuTensor {
    const g = this.gpu,
      w = this.w,
      p = `${V}.transformer.resblocks.${i}`,
      W = this.width;
    // CLIP stores its fused q/k/v projection as in_proj_weight / in_proj_bias, not as a Linear's weight / bias.
    const qkv = linear(g, x, w.get(`${p}.attn.in_proj_weight`), {
      bias: w.get(`${p}.attn.in_proj_bias`),
      norm: this.norm(`${p}.ln_1`),
      dtype: this.inner,
    });
    const ctx = attention(g, qkv, qkv, qkv, {
      heads: this.heads,
      width: W,
      qOffset: 0,
      kOffset: W,
      vOffset: 2 * W,
      dtype: this.inner,
    });
    qkv.release();
    const a = w.linear(`${p}.attn.out_proj`)(ctx, { residual: x });
    ctx.release();
    const m = w.linear(`${p}.mlp.c_fc`)(a, {
      activation: 'quickgelu',
      norm: this.norm(`${p}.ln_2`),
      dtype: this.inner,
    });
    const y = w.linear(`${p}.mlp.c_proj`)(m, { residual: a });
    m.release();
    a.release();
    return y;
  }

  /** One of CLIP's LayerNorms (ln_post, ln_separate.{i}, ...) fused in front of the linear that reads its output. */
  norm(prefix: string): LinearNorm {
    return this.w.norm(prefix, this.eps);
  }
}

export const LN_POST = `${V}.ln_post`;
export const lnSeparate = (i: number): string => `${V}.ln_separate.${i}`;
