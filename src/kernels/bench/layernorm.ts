// LayerNorm with a residual (the bridge layers, BERT's post-LN) over 288px and 576px image tokens, both variants.
import { layerNorm, type LayerNormVariant } from '../layernorm';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

const D = 768;

export const layerNormBenchmarks: KernelBenchmark[] = [325, 1297].map((rows) => ({
  kernel: 'layerNorm',
  shape: `[${rows}, ${D}] + residual`,
  // x and residual read, out written; weight and bias are negligible.
  work: { bytes: 3 * 4 * rows * D },
  setup(gpu, rand) {
    const x = randomTensor(gpu, [rows, D], rand, 'x');
    const residual = randomTensor(gpu, [rows, D], rand, 'residual');
    const weight = randomTensor(gpu, [D], rand, 'weight');
    const bias = randomTensor(gpu, [D], rand, 'bias');
    return {
      variants: (['rows', 'workgroup'] as LayerNormVariant[]).map((variant) => ({
        name: variant,
        run: () => layerNorm(gpu, x, weight, bias, 1e-5, { residual, variant }).release(),
      })),
      release: () => releaseAll([x, residual, weight, bias]),
    };
  },
}));
