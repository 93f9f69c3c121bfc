// Fused attention (every variant that runs on the adapter) and the heatmap's attention probabilities, 12 heads of 64.
import type { Gpu } from '../../gpu/runtime';
import { attention, attentionProbs, type AttentionVariant } from '../attention';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

const HEADS = 12,
  D = 64,
  W = HEADS * D;

/** The subgroup variant needs 4-lane subgroups (SwiftShader); tiled and streaming run anywhere. */
function variants(gpu: Gpu): AttentionVariant[] {
  const info = gpu.device.adapterInfo;
  const four = gpu.caps.subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
  return [...(four ? ['subgroup' as const] : []), 'streaming', 'tiled'];
}

/** Lq x Lk: text->image cross-attention at 288px, CLIP self-attention at 288px and at 576px. */
export const attentionBenchmarks: KernelBenchmark[] = [
  [40, 325],
  [325, 325],
  [1297, 1297],
].map(([Lq, Lk]) => ({
  kernel: 'attention',
  shape: `Lq ${Lq} x Lk ${Lk}, ${HEADS} x ${D}, masked`,
  // q·kᵀ and p·v: 2 multiply-adds per (head, query, key, channel) each.
  work: { flops: 4 * HEADS * Lq * Lk * D },
  setup(gpu, rand) {
    const q = randomTensor(gpu, [1, Lq, W], rand, 'q');
    const k = randomTensor(gpu, [1, Lk, W], rand, 'k');
    const v = randomTensor(gpu, [1, Lk, W], rand, 'v');
    const mask = gpu.upload(new Float32Array(Lk), [1, Lk], 'f32', 'mask');
    return {
      variants: variants(gpu).map((variant) => ({
        name: variant,
        run: () => attention(gpu, q, k, v, { heads: HEADS, width: W, mask, variant }).release(),
      })),
      release: () => releaseAll([q, k, v, mask]),
    };
  },
}));

/** One text token's attention over the 325 image tokens of a 288px image (the app's heatmap). */
export const attentionProbsBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'attentionProbs',
    shape: `query 0 of 40 over Lk 325, ${HEADS} x ${D}`,
    // One q row and all of k read; the scores written, then read and written again by softmax.
    work: { bytes: 4 * (W + 325 * W + 3 * HEADS * 325) },
    setup(gpu, rand) {
      const q = randomTensor(gpu, [1, 40, W], rand, 'q');
      const k = randomTensor(gpu, [1, 325, W], rand, 'k');
      return {
        variants: [
          {
            name: 'default',
            run: () => attentionProbs(gpu, q, k, { heads: HEADS, width: W, queryIndex: 0 }).release(),
          },
        ],
        release: () => releaseAll([q, k]),
      };
    },
  },
];
