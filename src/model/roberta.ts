// The RoBERTa text tower (post-LN, erf GELU), fixtures README steps 1-2.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { attention } from '../kernels/attention';
import { textEmbeddings } from '../kernels/text-embeddings';
import { definitions, type BridgeTowerConfig, type HiddenAct } from '../common/config';
import { WORD_EMBEDDINGS, type ModelWeights } from './weights';

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
  ) {
    this.hidden = config.text.hiddenSize;
    this.heads = config.text.heads;
    const d = definitions(config);
    this.eps = d.layerNormEps.text;
    this.act = d.hiddenAct.text;
  }

  /** text_embeddings = LN(word[ids] + token_type[0] + position[RoBERTa position ids]) [B, L, Ht]. */
  embed(ids: GpuTensor): GpuTensor {
    const e = `${T}.embeddings`;
    const sum = textEmbeddings(
      this.gpu,
      ids,
      { chunks: this.w.chunks(WORD_EMBEDDINGS) },
      this.w.get(`${e}.position_embeddings.weight`),
      this.w.get(`${e}.token_type_embeddings.weight`),
      { padTokenId: this.config.text.padTokenId },
    );
    const x = this.w.layerNorm(`${e}.LayerNorm`, this.eps)(sum);
    sum.release();
    return x;
  }

  /** Encoder layer i: a = LN(dense(attn(x)) + x), y = LN(output(gelu(intermediate(a))) + a). `mask` is [B, L] additive. */
  layer(i: number, x: GpuTensor, mask: GpuTensor): GpuTensor {
    const g = this.gpu,
      w = this.w,
      p = `${T}.encoder.layer.${i}`,
      H = this.hidden;
    const qkv = w.linear(`${p}.attention.self.qkv`)(x);
    const ctx = attention(g, qkv, qkv, qkv, {
      heads: this.heads,
      width: H,
      qOffset: 0,
      kOffset: H,
      vOffset: 2 * H,
      mask,
    });
    qkv.release();
    const attnOut = w.linear(`${p}.attention.output.dense`)(ctx, { residual: x });
    ctx.release();
    const a = w.layerNorm(`${p}.attention.output.LayerNorm`, this.eps)(attnOut);
    attnOut.release();
    const h = w.linear(`${p}.intermediate.dense`)(a, { activation: this.act });
    const o = w.linear(`${p}.output.dense`)(h, { residual: a });
    h.release();
    a.release();
    const y = w.layerNorm(`${p}.output.LayerNorm`, this.eps)(o);
    o.release();
    return y;
  }
}
