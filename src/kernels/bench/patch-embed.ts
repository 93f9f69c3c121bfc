// The ViT patch embedding (im2col + linear) of one 288px and one 576px image, 16px patches, width 768.
import { patchEmbed } from '../patch-embed';
import { benchWeight } from './linear';
import { randomTensor, type KernelBenchmark } from './benchmark';

const P = 16,
  HV = 768,
  K = 3 * P * P;

export const patchEmbedBenchmarks: KernelBenchmark[] = [288, 576].map((S) => ({
  kernel: 'patchEmbed',
  shape: `[1, 3, ${S}, ${S}], ${P}px patches -> ${HV}`,
  // The matmul's FLOPs; im2col itself only moves the pixels.
  work: { flops: 2 * (S / P) ** 2 * K * HV },
  setup(gpu, rand, opts) {
    const pixels = randomTensor(gpu, [1, 3, S, S], rand, 'pixels');
    // conv1 as the [Hv, K] matrix it is quantized as, viewed as [Hv, 3, P, P].
    const weights = opts.weights.map((d) => [d, benchWeight(gpu, d, HV, K, rand)] as const);
    return {
      variants: (['blocked', 'tiled'] as const).flatMap((variant) =>
        weights.map(([d, w]) => ({
          name: `${variant} ${d}`,
          run: () => patchEmbed(gpu, pixels, w.reshape([HV, 3, P, P]), { variant }).release(),
        })),
      ),
      release: () => {
        pixels.release();
        for (const [, w] of weights) w.release();
      },
    };
  },
}));
