// The cross-modal encoder: BertCrossLayers on each side, fed by the uni-modal towers through
// cross_modal_*_transform + token type, cross_modal_*_layernorm (layer 0) and the bridge layers
// (cross_modal_*_link_tower: LN(uni-modal + previous cross-modal output)), fixtures README steps 5-7.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { add } from '../kernels/add';
import { attention, attentionProbs } from '../kernels/attention';
import { linear, type ActivationDType, type LinearNorm } from '../kernels/linear';
import { definitions, type BridgeTowerConfig, type HiddenAct, type LinkTowerType } from '../common/config';
import { crossProjections, foldedBias, type ModelWeights, type PendingNorm } from './weights';

// The authors build the cross layers from a RobertaConfig without layer_norm_eps (BertConfig's default 1e-12) and
// the bridge LayerNorms as plain nn.LayerNorm (1e-5); HF takes text_config.layer_norm_eps for the layers and the
// top-level layer_norm_eps for the bridge (config.ts, LayerNormEps).

export type Side = 'text' | 'image';

/** BertCrossLayer: self-attention, cross-attention to the other side, FFN; all post-LN. */
export class BertCrossLayer {
  constructor(
    private readonly gpu: Gpu,
    private readonly w: ModelWeights,
    private readonly prefix: string,
    private readonly heads: number,
    private readonly hidden: number,
    private readonly eps: number,
    private readonly act: HiddenAct,
    /** The dtype of activations only matrix products read (projections, contexts, FFN intermediate). */
    private readonly inner: ActivationDType,
  ) {}

  /**
   * `h` attends to itself (mask `hMask`) then to the other side (mask `otherMask`; masks are [B, len] additive, or
   * none for image tokens). `hProj` and `otherProj` are the two inputs' stacked projections
   * (CrossModalSide.project): this layer reads its q | k | v from `hProj` and its cross-attention k | v from
   * `otherProj`. Returns the output with its LayerNorm pending and, with `probsOf`, the cross-attention softmax
   * row of that query token.
   */
  forward(
    h: GpuTensor,
    hProj: GpuTensor,
    hMask: GpuTensor | undefined,
    otherProj: GpuTensor,
    otherMask: GpuTensor | undefined,
    probsOf?: number,
  ): { out: PendingNorm; probs?: GpuTensor } {
    const g = this.gpu,
      w = this.w,
      p = this.prefix,
      H = this.hidden,
      heads = this.heads;

    const selfCtx = attention(g, hProj, hProj, hProj, {
      heads,
      width: H,
      qOffset: 0,
      kOffset: H,
      vOffset: 2 * H,
      mask: hMask,
      dtype: this.inner,
    });
    const selfOut = w.linear(`${p}.attention.output.dense`)(selfCtx, { residual: h });
    selfCtx.release();
    // a = LN(selfOut), written by the query projection that normalises selfOut on load.
    const a = g.tensor(selfOut.shape, 'f32', 'cross attention input');
    const q = w.linear(`${p}.crossattention.self.query`)(selfOut, {
      norm: w.norm(`${p}.attention.output.LayerNorm`, this.eps, a),
      dtype: this.inner,
    });
    selfOut.release();
    const [kOffset, vOffset] = [3 * H, 4 * H];
    const crossCtx = attention(g, q, otherProj, otherProj, {
      heads,
      width: H,
      kOffset,
      vOffset,
      mask: otherMask,
      dtype: this.inner,
    });
    const probs =
      probsOf === undefined
        ? undefined
        : attentionProbs(g, q, otherProj, { heads, width: H, kOffset, mask: otherMask, queryIndex: probsOf });
    q.release();
    const crossOut = w.linear(`${p}.crossattention.output.dense`)(crossCtx, { residual: a });
    crossCtx.release();
    a.release();
    // c = LN(crossOut), written by the intermediate projection that normalises crossOut on load.
    const c = g.tensor(crossOut.shape, 'f32', 'cross FFN input');
    const f = w.linear(`${p}.intermediate.dense`)(crossOut, {
      activation: this.act,
      norm: w.norm(`${p}.crossattention.output.LayerNorm`, this.eps, c),
      dtype: this.inner,
    });
    crossOut.release();
    const o = w.linear(`${p}.output.dense`)(f, { residual: c });
    f.release();
    c.release();
    // out = LN(o), left to its next reader (the bridge layer, or whoever needs it written).
    return { out: { raw: o, norm: `${p}.output.LayerNorm`, eps: this.eps }, probs };
  }
}

/** One side (text or image) of the cross-modal encoder with its input transform, first LayerNorm and bridge layers. */
export class CrossModalSide {
  readonly layers: BertCrossLayer[];
  private readonly bridgeEps: number;
  private readonly linkTowerType: LinkTowerType;

  constructor(
    private readonly gpu: Gpu,
    private readonly w: ModelWeights,
    private readonly side: Side,
    config: BridgeTowerConfig,
    /** The dtype of the stacked projections and of the layers' inner activations. */
    private readonly inner: ActivationDType,
  ) {
    const d = definitions(config);
    this.layers = Array.from(
      { length: config.numLayers },
      (_, j) =>
        new BertCrossLayer(
          gpu,
          w,
          `cross_modal_${side}_layers.${j}`,
          config.numHeads,
          config.hiddenSize,
          d.layerNormEps.cross,
          d.hiddenAct.cross,
          inner,
        ),
    );
    this.bridgeEps = d.layerNormEps.bridge;
    this.linkTowerType = d.linkTower;
  }

  /**
   * Cross layer j's input on this side, from t = transform(uni-modal layer) + token type: j = 0
   * cross_modal_{side}_layernorm(t), else the bridge layer on t and the previous cross layer's output; with its
   * stacked projections (this side's q | k | v, then the other side's cross-attention k | v [..., 5H], one Linear,
   * which for j = 0 also runs the LayerNorm and writes the input).
   */
  layerInput(j: number, t: GpuTensor, previous?: PendingNorm): { input: GpuTensor; proj: GpuTensor } {
    const project = this.w.linear(crossProjections(this.side, j));
    if (previous) {
      const input = this.linkTower(j - 1, t, previous);
      return { input, proj: project(input, { dtype: this.inner }) };
    }
    const input = this.gpu.tensor(t.shape, 'f32', `cross ${this.side} input 0`);
    const norm = this.w.norm(`cross_modal_${this.side}_layernorm`, this.bridgeEps, input);
    return { input, proj: project(t, { norm, dtype: this.inner }) };
  }

  /**
   * cross_modal_{side}_transform(x) + token_type_embeddings[k] (the row is folded into the bias), of LN(x) when a
   * LayerNorm is given (the image side's ln_post / ln_separate).
   */
  transform(x: GpuTensor, tokenType: number, norm?: LinearNorm): GpuTensor {
    return linear(this.gpu, x, this.w.get(`cross_modal_${this.side}_transform.weight`), {
      bias: this.w.get(foldedBias(this.side, tokenType)),
      norm,
    });
  }

  /**
   * The bridge layer cross_modal_{side}_link_tower.{i}, input of cross layer i + 1: with t = transform(uni-modal
   * layer) + token type and the previous cross layer's output (its LayerNorm pending), LN(t + previous) ('add', one
   * dispatch that also runs the pending LayerNorm), LN(s·t + previous)
   * ('scaled_add', learned s), LN((1−β)·t + β·previous) ('interpolate', learned β).
   */
  linkTower(i: number, t: GpuTensor, pending: PendingNorm): GpuTensor {
    const tower = `cross_modal_${this.side}_link_tower.${i}`;
    const ln = this.w.layerNorm(`${tower}.LayerNorm`, this.bridgeEps);
    if (this.linkTowerType === 'add') {
      const { weight, bias } = this.w.norm(pending.norm, pending.eps);
      return ln(t, { residual: pending.raw, residualNorm: { weight, bias, eps: pending.eps } });
    }
    const previous = this.w.normalize(pending);
    let alpha: number, beta: number;
    if (this.linkTowerType === 'scaled_add') [alpha, beta] = [this.w.scalar(`${tower}.scaled_factor`), 1];
    else {
      const b = this.w.scalar(`${tower}.beta`);
      [alpha, beta] = [Math.fround(1 - b), b];
    }
    const mixed = add(this.gpu, t, previous, { alpha, beta });
    previous.release();
    const y = ln(mixed);
    mixed.release();
    return y;
  }
}
