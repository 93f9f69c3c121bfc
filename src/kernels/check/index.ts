// Every kernel's check (./<kernel>.ts: its cases against a float64 reference and its benchmarks), in one list:
// the Node kernel suite (test/kernels/kernels.test.ts), the browser kernel page (kernels.html) and
// `bridgetower bench kernels` (src/cli/bench.ts) all iterate it. Not part of the library bundle.
import { addCheck } from './add';
import { attentionCheck, attentionProbsCheck } from './attention';
import { attentionF16Check } from './attention-f16';
import type { KernelBenchmark } from './benchmark';
import { classPositionEmbedCheck } from './class-position-embed';
import { concatCheck } from './concat';
import type { KernelCase, KernelCheck } from './harness';
import { l2NormalizeCheck } from './l2-normalize';
import { layerNormCheck } from './layernorm';
import { linearCheck } from './linear';
import { linearF16Check } from './linear-f16';
import { linearNormCheck } from './linear-norm';
import { linearRowsCheck } from './linear-rows';
import { patchEmbedCheck } from './patch-embed';
import { softmaxCheck } from './softmax';
import { takeTokenCheck } from './take-token';
import { textEmbeddingsCheck } from './text-embeddings';

export const kernelChecks: readonly KernelCheck[] = [
  linearCheck,
  linearNormCheck,
  linearF16Check,
  linearRowsCheck,
  patchEmbedCheck,
  addCheck,
  takeTokenCheck,
  concatCheck,
  classPositionEmbedCheck,
  l2NormalizeCheck,
  layerNormCheck,
  attentionCheck,
  attentionF16Check,
  textEmbeddingsCheck,
  softmaxCheck,
  attentionProbsCheck,
];

export const allCases: readonly KernelCase[] = kernelChecks.flatMap((c) => c.cases);
export const kernelBenchmarks: readonly KernelBenchmark[] = kernelChecks.flatMap((c) => c.benchmarks);

/** The kernels, in the order of the list. */
export const checkedKernels: readonly string[] = kernelChecks.map((c) => c.kernel);

export * from './benchmark';
export { rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
