// Row L2 normalisation: ITC embeddings of a retrieval batch, and a wide case.
import { l2Normalize } from '../l2-normalize';
import { randomTensor, type KernelBenchmark } from './benchmark';

export const l2NormalizeBenchmarks: KernelBenchmark[] = [
  [64, 256],
  [1024, 768],
].map(([B, D]) => ({
  kernel: 'l2Normalize',
  shape: `[${B}, ${D}]`,
  work: { bytes: 2 * 4 * B * D },
  setup(gpu, rand) {
    const x = randomTensor(gpu, [B, D], rand, 'x');
    return { variants: [{ name: 'default', run: () => l2Normalize(gpu, x).release() }], release: () => x.release() };
  },
}));
