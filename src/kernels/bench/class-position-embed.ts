// CLIP's token assembly (class token + patches + positions) at 288px and 576px, width 768.
import { classPositionEmbed } from '../class-position-embed';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

const HV = 768;

export const classPositionEmbedBenchmarks: KernelBenchmark[] = [325, 1297].map((N) => ({
  kernel: 'classPositionEmbed',
  shape: `[1, ${N - 1}, ${HV}] patches`,
  // Patches and positions read, tokens written.
  work: { bytes: 4 * HV * (N - 1 + N + N) },
  setup(gpu, rand) {
    const patches = randomTensor(gpu, [1, N - 1, HV], rand, 'patches');
    const cls = randomTensor(gpu, [HV], rand, 'class');
    const positional = randomTensor(gpu, [N, HV], rand, 'positional');
    return {
      variants: [{ name: 'default', run: () => classPositionEmbed(gpu, patches, cls, positional).release() }],
      release: () => releaseAll([patches, cls, positional]),
    };
  },
}));
