// The cross-modal encoder: BertCrossLayers on each side, fed by the uni-modal towers through
// cross_modal_*_transform + token type, cross_modal_*_layernorm (layer 0) and the bridge layers
// (cross_modal_*_link_tower: LN(uni-modal + previous cross-modal output)), fixtures README steps 5-7.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { add } from '../kernels/add';
import { attention, attentionProbs } from '../kernels/attention';
import { linear } from '../kernels/linear';
import { definitions, type BridgeTowerConfig, type HiddenAct, type LinkTowerType } from '../common/config';
import { foldedBias, type ModelWeights } from './weights';

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
  ) {}

  /**
   * `h` attends to itself (mask `hMask`) then to `other` (mask `otherMask`; masks are [B, len] additive, or
   * none for image tokens). With `probsOf`, also returns the cross-attention softmax row of that query token.
   */
  forward(
    h: GpuTensor,
    hMask: GpuTensor | undefined,
    other: GpuTensor,
    otherMask: GpuTensor | undefined,
    probsOf?: number,
  ): { out: GpuTensor; probs?: GpuTensor } {
    const g = this.gpu,
      w = this.w,
      p = this.prefix,
      H = this.hidden,
      heads = this.heads;

    const qkv = w.linear(`${p}.attention.self.qkv`)(h);
    const selfCtx = attention(g, qkv, qkv, qkv, {
      heads,
      width: H,
      qOffset: 0,
      kOffset: H,
      vOffset: 2 * H,
      mask: hMask,
    });
    qkv.release();
    const selfOut = w.linear(`${p}.attention.output.dense`)(selfCtx, { residual: h });
    selfCtx.release();
    const a = w.layerNorm(`${p}.attention.output.LayerNorm`, this.eps)(selfOut);
    selfOut.release();

    const q = w.linear(`${p}.crossattention.self.query`)(a);
    const kv = w.linear(`${p}.crossattention.self.kv`)(other);
    const crossCtx = attention(g, q, kv, kv, { heads, width: H, kOffset: 0, vOffset: H, mask: otherMask });
    const probs =
      probsOf === undefined
        ? undefined
        : attentionProbs(g, q, kv, { heads, width: H, kOffset: 0, mask: otherMask, queryIndex: probsOf });
    q.release();
    kv.release();
    const crossOut = w.linear(`${p}.crossattention.output.dense`)(crossCtx, { residual: a });
    crossCtx.release();
    a.release();
    const c = w.layerNorm(`${p}.crossattention.output.LayerNorm`, this.eps)(crossOut);
    crossOut.release();

    const f = w.linear(`${p}.intermediate.dense`)(c, { activation: this.act });
    const o = w.linear(`${p}.output.dense`)(f, { residual: c });
    f.release();
    c.release();
    const out = w.layerNorm(`${p}.output.LayerNorm`, this.eps)(o);
    o.release();
    return { out, probs };
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
        ),
    );
    this.bridgeEps = d.layerNormEps.bridge;
    this.linkTowerType = d.linkTower;
  }

  /** cross_modal_{side}_transform(x) + token_type_embeddings[k] (the row is folded into the bias). */
  transform(x: GpuTensor, tokenType: number): GpuTensor {
    return linear(this.gpu, x, this.w.get(`cross_modal_${this.side}_transform.weight`), {
      bias: this.w.get(foldedBias(this.side, tokenType)),
    });
  }

  /** Input of cross layer 0: cross_modal_{side}_layernorm(t), t = transform(uni-modal layer) + token type. */
  layerNorm(t: GpuTensor): GpuTensor {
    return this.w.layerNorm(`cross_modal_${this.side}_layernorm`, this.bridgeEps)(t);
  }

  /**
   * The bridge layer cross_modal_{side}_link_tower.{i}, input of cross layer i + 1: with t = transform(uni-modal
   * layer) + token type and the previous cross layer's output, LN(t + previous) ('add'), LN(s·t + previous)
   * ('scaled_add', learned s), LN((1−β)·t + β·previous) ('interpolate', learned β).
   */
  linkTower(i: number, t: GpuTensor, previous: GpuTensor): GpuTensor {
    const tower = `cross_modal_${this.side}_link_tower.${i}`;
    const ln = this.w.layerNorm(`${tower}.LayerNorm`, this.bridgeEps);
    if (this.linkTowerType === 'add') return ln(t, { residual: previous });
    let alpha: number, beta: number;
    if (this.linkTowerType === 'scaled_add') [alpha, beta] = [this.w.scalar(`${tower}.scaled_factor`), 1];
    else {
      const b = this.w.scalar(`${tower}.beta`);
      [alpha, beta] = [Math.fround(1 - b), b];
    }
    const mixed = add(this.gpu, t, previous, { alpha, beta });
    const y = ln(mixed);
    mixed.release();
    return y;
  }
}
