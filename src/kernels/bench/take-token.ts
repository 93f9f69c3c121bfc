// takeToken: the token-0 slice the poolers and ITC heads read, over a batch of 288px images.
import { takeToken } from '../take-token';
import { randomTensor, type KernelBenchmark } from './benchmark';

export const takeTokenBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'takeToken',
    shape: '[32, 325, 768] token 0',
    work: { bytes: 2 * 4 * 32 * 768 },
    setup(gpu, rand) {
      const x = randomTensor(gpu, [32, 325, 768], rand, 'x');
      return { variants: [{ name: 'default', run: () => takeToken(gpu, x, 0).release() }], release: () => x.release() };
    },
  },
];
