// The cross-modal encoder: BertCrossLayers on each side, fed by the uni-modal towers through
// cross_modal_*_transform + token type, cross_modal_*_layernorm (layer 0) and the bridge layers
// (cross_modal_*_link_tower: LN(uni-modal + previous cross-modal output)), fixtures README steps 5-7.
import type { Gpu } from '../gpu/runtime';
import type { GpuTensor } from '../gpu/tensor';
import { add } from '../kernels/add';
import { attention, attentionProbs } from '../kernels/attention';
import { layerNorm } from '../kernels/layernorm';
import { linear } from '../kernels/linear';
import { definitions, type BridgeTowerConfig, type HiddenAct, type LinkTowerType } from '../spec/config';
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
  forward(h: GpuTensor, hMask: GpuTensor | undefined, other: GpuTensor, otherMask: GpuTensor | undefined, probsOf?: number): { out: GpuTensor; probs?: GpuTensor } {
    const g = this.gpu, H = this.hidden, heads = this.heads;
    const lin = (input: GpuTensor, name: string, opts: Parameters<typeof linear>[3] = {}) =>
      linear(g, input, this.w.get(`${this.prefix}.${name}.weight`), { bias: this.w.get(`${this.prefix}.${name}.bias`), ...opts });
    const ln = (input: GpuTensor, name: string) =>
      layerNorm(g, input, this.w.get(`${this.prefix}.${name}.weight`), this.w.get(`${this.prefix}.${name}.bias`), this.eps);

    const qkv = lin(h, 'attention.self.qkv');
    const selfCtx = attention(g, qkv, qkv, qkv, { heads, width: H, qOffset: 0, kOffset: H, vOffset: 2 * H, mask: hMask });
    qkv.release();
    const selfOut = lin(selfCtx, 'attention.output.dense', { residual: h });
    selfCtx.release();
    const a = ln(selfOut, 'attention.output.LayerNorm');
    selfOut.release();

    const q = lin(a, 'crossattention.self.query');
    const kv = lin(other, 'crossattention.self.kv');
    const crossCtx = attention(g, q, kv, kv, { heads, width: H, kOffset: 0, vOffset: H, mask: otherMask });
    const probs = probsOf === undefined ? undefined
      : attentionProbs(g, q, kv, { heads, width: H, kOffset: 0, mask: otherMask, queryIndex: probsOf });
    q.release();
    kv.release();
    const crossOut = lin(crossCtx, 'crossattention.output.dense', { residual: a });
    crossCtx.release();
    a.release();
    const c = ln(crossOut, 'crossattention.output.LayerNorm');
    crossOut.release();

    const f = lin(c, 'intermediate.dense', { activation: this.act });
    const o = lin(f, 'output.dense', { residual: c });
    f.release();
    c.release();
    const out = ln(o, 'output.LayerNorm');
    o.release();
    return { out, probs };
  }
}

/** One side (text or image) of the cross-modal encoder with its input transform and bridge layers. */
export class CrossModalSide {
  readonly layers: BertCrossLayer[];
  private readonly bridgeEps: number;
  private readonly linkTower: LinkTowerType;

  constructor(private readonly gpu: Gpu, private readonly w: ModelWeights, private readonly side: Side, config: BridgeTowerConfig) {
    const d = definitions(config);
    this.layers = Array.from({ length: config.numLayers }, (_, j) => new BertCrossLayer(gpu, w, `cross_modal_${side}_layers.${j}`,
      config.numHeads, config.hiddenSize, d.layerNormEps.cross, d.hiddenAct.cross));
    this.bridgeEps = d.layerNormEps.bridge;
    this.linkTower = d.linkTower;
  }

  /** cross_modal_{side}_transform(x) + token_type_embeddings[k] (the row is folded into the bias). */
  transform(x: GpuTensor, tokenType: number): GpuTensor {
    return linear(this.gpu, x, this.w.get(`cross_modal_${this.side}_transform.weight`), { bias: this.w.get(foldedBias(this.side, tokenType)) });
  }

  /**
   * Input of cross layer j: LN^{cross_modal_{side}_layernorm}(t) for j = 0, else the bridge layer on t and the
   * previous cross layer's output, with t = transform(uni-modal layer) + token type: LN(t + previous) ('add'),
   * LN(s·t + previous) ('scaled_add', learned s), LN((1−β)·t + β·previous) ('interpolate', learned β).
   */
  input(j: number, t: GpuTensor, previous?: GpuTensor): GpuTensor {
    const ln = (name: string, x: GpuTensor, residual?: GpuTensor) =>
      layerNorm(this.gpu, x, this.w.get(`${name}.weight`), this.w.get(`${name}.bias`), this.bridgeEps, { residual });
    if (j === 0) return ln(`cross_modal_${this.side}_layernorm`, t);
    const tower = `cross_modal_${this.side}_link_tower.${j - 1}`;
    if (this.linkTower === 'add') return ln(`${tower}.LayerNorm`, t, previous);
    let alpha: number, beta: number;
    if (this.linkTower === 'scaled_add') [alpha, beta] = [this.w.scalar(`${tower}.scaled_factor`), 1];
    else {
      const b = this.w.scalar(`${tower}.beta`);
      [alpha, beta] = [Math.fround(1 - b), b];
    }
    const mixed = add(this.gpu, t, previous!, { alpha, beta });
    const y = ln(`${tower}.LayerNorm`, mixed);
    mixed.release();
    return y;
  }
}
