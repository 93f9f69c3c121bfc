// add: the link tower's scaled add over a 576px image's tokens.
import { add } from '../add';
import { randomTensor, releaseAll, type KernelBenchmark } from './benchmark';

export const addBenchmarks: KernelBenchmark[] = [
  {
    kernel: 'add',
    shape: '0.5·[1297, 768] + 0.5·[1297, 768]',
    work: { bytes: 3 * 4 * 1297 * 768 },
    setup(gpu, rand) {
      const a = randomTensor(gpu, [1297, 768], rand, 'a');
      const b = randomTensor(gpu, [1297, 768], rand, 'b');
      return {
        variants: [{ name: 'default', run: () => add(gpu, a, b, { alpha: 0.5, beta: 0.5 }).release() }],
        release: () => releaseAll([a, b]),
      };
    },
  },
];
