// The RoBERTa text tower (post-LN, erf GELU), fixtures README steps 1-2.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { attention } from '../kernels/attention';
import { layerNorm } from '../kernels/layernorm';
import { linear } from '../kernels/linear';
import { textEmbeddings } from '../kernels/text-embeddings';
import { definitions, type BridgeTowerConfig, type HiddenAct } from '../spec/config';
import { WORD_EMBEDDINGS, type ModelWeights } from './weights';

const T = 'text_transformer';

export class RobertaTextTower {
  readonly hidden: number;
  readonly heads: number;
  /** RoBERTa's layer_norm_eps (1e-5; HF: text_config.layer_norm_eps). */
  readonly eps: number;
  /** The FFN activation (erf GELU; HF: text_config.hidden_act). */
  readonly act: HiddenAct;

  constructor(private readonly gpu: Gpu, private readonly w: ModelWeights, private readonly config: BridgeTowerConfig) {
    this.hidden = config.text.hiddenSize;
    this.heads = config.text.heads;
    const d = definitions(config);
    this.eps = d.layerNormEps.text;
    this.act = d.hiddenAct.text;
  }

  /** text_embeddings = LN(word[ids] + token_type[0] + position[RoBERTa position ids]) [B, L, Ht]. */
  embed(ids: GpuTensor): GpuTensor {
    const e = `${T}.embeddings`;
    const sum = textEmbeddings(this.gpu, ids, { chunks: this.w.chunks(WORD_EMBEDDINGS) },
      this.w.get(`${e}.position_embeddings.weight`), this.w.get(`${e}.token_type_embeddings.weight`),
      { padTokenId: this.config.text.padTokenId });
    const x = layerNorm(this.gpu, sum, this.w.get(`${e}.LayerNorm.weight`), this.w.get(`${e}.LayerNorm.bias`), this.eps);
    sum.release();
    return x;
  }

  /** Encoder layer i: a = LN(dense(attn(x)) + x), y = LN(output(gelu(intermediate(a))) + a). `mask` is [B, L] additive. */
  layer(i: number, x: GpuTensor, mask: GpuTensor): GpuTensor {
    const g = this.gpu, p = `${T}.encoder.layer.${i}`, H = this.hidden;
    const lin = (input: GpuTensor, name: string, opts: Parameters<typeof linear>[3] = {}) =>
      linear(g, input, this.w.get(`${p}.${name}.weight`), { bias: this.w.get(`${p}.${name}.bias`), ...opts });
    const ln = (input: GpuTensor, name: string) =>
      layerNorm(g, input, this.w.get(`${p}.${name}.weight`), this.w.get(`${p}.${name}.bias`), this.eps);
    const qkv = lin(x, 'attention.self.qkv');
    const ctx = attention(g, qkv, qkv, qkv, { heads: this.heads, width: H, qOffset: 0, kOffset: H, vOffset: 2 * H, mask });
    qkv.release();
    const attnOut = lin(ctx, 'attention.output.dense', { residual: x });
    ctx.release();
    const a = ln(attnOut, 'attention.output.LayerNorm');
    attnOut.release();
    const h = lin(a, 'intermediate.dense', { activation: this.act });
    const o = lin(h, 'output.dense', { residual: a });
    h.release();
    a.release();
    const y = ln(o, 'output.LayerNorm');
    o.release();
    return y;
  }
}
