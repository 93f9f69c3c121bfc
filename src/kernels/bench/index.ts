// Every kernel's benchmarks, in one list: `bridgetower bench kernels` and the browser kernel page iterate it, and
// the Node kernel suite checks that each kernel here has cases there (test/kernels/cases.ts) and the reverse.
import { addBenchmarks } from './add';
import { attentionBenchmarks, attentionProbsBenchmarks } from './attention';
import type { KernelBenchmark } from './benchmark';
import { classPositionEmbedBenchmarks } from './class-position-embed';
import { concatBenchmarks } from './concat';
import { l2NormalizeBenchmarks } from './l2-normalize';
import { layerNormBenchmarks } from './layernorm';
import { linearBenchmarks } from './linear';
import { patchEmbedBenchmarks } from './patch-embed';
import { softmaxBenchmarks } from './softmax';
import { takeTokenBenchmarks } from './take-token';
import { textEmbeddingsBenchmarks } from './text-embeddings';

export const kernelBenchmarks: readonly KernelBenchmark[] = [
  ...linearBenchmarks,
  ...patchEmbedBenchmarks,
  ...addBenchmarks,
  ...takeTokenBenchmarks,
  ...concatBenchmarks,
  ...classPositionEmbedBenchmarks,
  ...l2NormalizeBenchmarks,
  ...layerNormBenchmarks,
  ...attentionBenchmarks,
  ...textEmbeddingsBenchmarks,
  ...softmaxBenchmarks,
  ...attentionProbsBenchmarks,
];

/** The kernels, in the order of the list. */
export const benchmarkedKernels: readonly string[] = [...new Set(kernelBenchmarks.map((b) => b.kernel))];

export * from './benchmark';
