// Row softmax: the heatmap's 12 heads over the keys of a 576px image, and 40 text queries x 12 heads over 325 keys.
import { softmax } from '../softmax';
import { randomTensor, type KernelBenchmark } from './benchmark';

export const softmaxBenchmarks: KernelBenchmark[] = [
  [12, 1297],
  [480, 325],
].map(([rows, N]) => ({
  kernel: 'softmax',
  shape: `[${rows}, ${N}]`,
  work: { bytes: 2 * 4 * rows * N },
  setup(gpu, rand) {
    const x = randomTensor(gpu, [rows, N], rand, 'x', 8);
    return { variants: [{ name: 'default', run: () => softmax(gpu, x).release() }], release: () => x.release() };
  },
}));
