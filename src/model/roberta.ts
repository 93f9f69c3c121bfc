// The RoBERTa text tower (post-LN, erf GELU), fixtures README steps 1-2.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import type { ActivationDType } from '../kernels/linear';
import { attention } from '../kernels/attention';
import { textEmbeddings } from '../kernels/text-embeddings';
import { definitions, type BridgeTowerConfig, type HiddenAct } from '../common/config';
import { WORD_EMBEDDINGS, type ModelWeights, type PendingNorm } from './weights';

const T = 'text_transformer';

export class RobertaTextTower {
  readonly hidden: number;
  readonly heads: number;
  /** RoBERTa's layer_norm_eps (1e-5; HF: text_config.layer_norm_eps). */
  readonly eps: number;
  /** The FFN activation (erf GELU; HF: text_config.hidden_act). */
  readonly act: HiddenAct;

  constructor(
    private readonly gpu: Gpu,
    private readonly w: ModelWeights,
    private readonly config: BridgeTowerConfig,
    /** The dtype of activations only matrix products read (q | k | v, context, FFN intermediate). */
    private readonly inner: ActivationDType,
  ) {
    this.hidden = config.text.hiddenSize;
    this.heads = config.text.heads;
    const d = definitions(config);
    this.eps = d.layerNormEps.text;
    this.act = d.hiddenAct.text;
  }

  /**
   * text_embeddings = LN(word[ids] + token_type[0] + position[RoBERTa position ids]) [B, L, Ht], its LayerNorm
   * left to the linear that reads it next.
   */
  embed(ids: GpuTensor): PendingNorm {
    const e = `${T}.embeddings`;
    const sum = textEmbeddings(
      this.gpu,
      ids,
      { chunks: this.w.chunks(WORD_EMBEDDINGS) },
      this.w.get(`${e}.position_embeddings.weight`),
      this.w.get(`${e}.token_type_embeddings.weight`),
      { padTokenId: this.config.text.padTokenId },
    );
    return { raw: sum, norm: `${e}.LayerNorm`, eps: this.eps };
  }

  /**
   * Encoder layer i on LN(x) (x pending, released here): a = LN(dense(attn(LN x)) + LN x),
   * y = LN(output(gelu(intermediate(a))) + a). Each LayerNorm runs inside the linear that reads its output next, which
   * also writes it for the residual; returns y pending and LN x (the previous layer's output), now written.
   * `mask` is [B, L] additive.
   */
  layer(i: number, x: PendingNorm, mask: GpuTensor): { out: PendingNorm; input: GpuTensor } {
    const g = this.gpu,
      w = this.w,
      p = `${T}.encoder.layer.${i}`,
      H = this.hidden;
    const input = g.tensor(x.raw.shape, 'f32', 'text layer input');
    const qkv = w.linear(`${p}.attention.self.qkv`)(x.raw, { norm: w.norm(x.norm, x.eps, input), dtype: this.inner });
    x.raw.release();
    const ctx = attention(g, qkv, qkv, qkv, {
      heads: this.heads,
      width: H,
      qOffset: 0,
      kOffset: H,
      vOffset: 2 * H,
      mask,
      dtype: this.inner,
    });
    qkv.release();
    const attnOut = w.linear(`${p}.attention.output.dense`)(ctx, { residual: input });
    ctx.release();
    const a = g.tensor(attnOut.shape, 'f32', 'text attention output');
    const h = w.linear(`${p}.intermediate.dense`)(attnOut, {
      activation: this.act,
      norm: w.norm(`${p}.attention.output.LayerNorm`, this.eps, a),
      dtype: this.inner,
    });
    attnOut.release();
    const o = w.linear(`${p}.output.dense`)(h, { residual: a });
    h.release();
    a.release();
    return { out: { raw: o, norm: `${p}.output.LayerNorm`, eps: this.eps }, input };
  }
}
