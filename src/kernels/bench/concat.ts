// concat: cls_feats = [text pooled, image pooled] for a batch of 64.
import { concat } from '../concat';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

export const concatBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'concat',
    shape: '[64, 768] + [64, 768]',
    work: { bytes: 2 * 4 * 64 * 1536 },
    setup(gpu, rand) {
      const a = randomTensor(gpu, [64, 768], rand, 'a');
      const b = randomTensor(gpu, [64, 768], rand, 'b');
      return {
        variants: [{ name: 'default', run: () => concat(gpu, a, b).release() }],
        release: () => releaseAll([a, b]),
      };
    },
  },
];
