// The poolers and task heads on top of the cross-modal encoder, and the ITC heads on the uni-modal
// towers (fixtures README steps 8-9).
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { l2Normalize } from '../kernels/l2-normalize';
import { linear, type LinearNorm } from '../kernels/linear';
import { definitions, type BridgeTowerConfig, type HiddenAct, type TaskHeadConfig } from '../common/config';
import { MLM_BIAS, MLM_DECODER, WORD_EMBEDDINGS, type ModelWeights } from './weights';

/** Task-head LayerNorms are nn.LayerNorm defaults. */
export const HEAD_LN_EPS = 1e-5;

export class Heads {
  /** The MLM transform's LayerNorm eps (the authors' BertConfig 1e-12; HF's top-level layer_norm_eps). */
  private readonly mlmEps: number;
  /** The MLM transform's activation (the authors' GELU; HF's top-level hidden_act). */
  private readonly mlmAct: HiddenAct;
  /** HF tie_word_embeddings: the MLM decoder is the word-embedding table. */
  private readonly decoder: string;

  constructor(
    private readonly gpu: Gpu,
    private readonly w: ModelWeights,
    config: BridgeTowerConfig,
  ) {
    const d = definitions(config);
    this.mlmEps = d.layerNormEps.mlm;
    this.mlmAct = d.hiddenAct.mlm;
    this.decoder = d.tieWordEmbeddings ? WORD_EMBEDDINGS : MLM_DECODER;
  }

  /** cls_feats = [tanh(text_pooler(x[:, 0])), tanh(image_pooler(y[:, 0]))] [B, 2H]. */
  clsFeats(textFeats: GpuTensor, imageFeats: GpuTensor): GpuTensor {
    const [B, , H] = textFeats.shape;
    const cls = this.gpu.tensor([B, 2 * H], 'f32', 'cls_feats');
    // Each pooler reads token 0 of every sequence (every L-th row) and writes its half of cls_feats.
    const pool = (x: GpuTensor, name: string, outColumnOffset: number) =>
      this.w.linear(name)(x, { activation: 'tanh', out: cls, outColumnOffset, rowStep: x.shape[1] });
    pool(textFeats, 'cross_modal_text_pooler.dense', 0);
    pool(imageFeats, 'cross_modal_image_pooler.dense', H);
    return cls;
  }

  /** vqa_classifier / snli_classifier / nlvr2_classifier: Linear, or Linear -> LN -> GELU -> Linear. */
  classifier(name: string, cfg: TaskHeadConfig, x: GpuTensor): GpuTensor {
    if (cfg.layers === 1) return this.w.linear(`${name}.0`)(x);
    const h = this.w.linear(`${name}.0`)(x);
    const n = this.w.layerNorm(`${name}.1`, HEAD_LN_EPS)(h, { activation: 'gelu' });
    h.release();
    const y = this.w.linear(`${name}.3`)(n);
    n.release();
    return y;
  }

  itm(cls: GpuTensor): GpuTensor {
    return this.w.linear('itm_score.fc')(cls);
  }

  /** rank_output(cls_feats) [B, 1]; rank_score is its column 0. */
  rank(cls: GpuTensor): GpuTensor {
    return this.w.linear('rank_output')(cls);
  }

  /** decoder(LN(act(transform.dense(text_feats)))) + bias [B, L, V], the decoder in row chunks. */
  mlm(textFeats: GpuTensor): GpuTensor {
    const h = this.w.linear('mlm_score.transform.dense')(textFeats, { activation: this.mlmAct });
    const t = this.w.layerNorm('mlm_score.transform.LayerNorm', this.mlmEps)(h);
    h.release();
    const chunks = this.w.chunks(this.decoder),
      biases = this.w.chunks(MLM_BIAS);
    const V = chunks.reduce((s, c) => s + c.shape[0], 0);
    const out = this.gpu.tensor([...textFeats.shape.slice(0, -1), V], 'f32', 'mlm_logits');
    let offset = 0;
    chunks.forEach((c, i) => {
      linear(this.gpu, t, c, { bias: biases[i], out, outColumnOffset: offset });
      offset += c.shape[0];
    });
    t.release();
    return out;
  }

  /**
   * l2norm(itc_{side}_head.fc(x)) for token-0 features x [B, D] (of LN(x) when a LayerNorm is given), or HF's
   * cross-modal head on cls_feats [B, 2H].
   */
  itc(side: 'text' | 'image' | 'cross_modal', first: GpuTensor, norm?: LinearNorm): GpuTensor {
    const f = this.w.linear(`itc_${side}_head.fc`)(first, { norm });
    const y = l2Normalize(this.gpu, f);
    f.release();
    return y;
  }
}
