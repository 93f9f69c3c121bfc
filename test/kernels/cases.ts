// Every kernel case, for the Node suite (kernels.test.ts) and the browser page (kernels.html). A kernel's cases
// (test/kernels/<kernel>.cases.ts, with its float64 reference from test/reference/ops.ts) and its benchmarks
// (src/kernels/bench/<kernel>.ts, listed in src/kernels/bench/index.ts) go by the same kernel name.
import type { KernelCase } from './harness';
import { linearCases } from './linear.cases';
import { patchEmbedCases } from './patch-embed.cases';
import { addCases, scaledAddCases } from './add.cases';
import { takeTokenCases } from './take-token.cases';
import { concatCases } from './concat.cases';
import { classPositionEmbedCases } from './class-position-embed.cases';
import { l2NormalizeCases } from './l2-normalize.cases';
import { layerNormCases } from './layernorm.cases';
import { attentionCases } from './attention.cases';
import { textEmbeddingsCases } from './text-embeddings.cases';
import { softmaxCases } from './softmax.cases';
import { attentionProbsCases } from './attention-probs.cases';

export const allCases: KernelCase[] = [
  ...linearCases,
  ...patchEmbedCases,
  ...addCases,
  ...scaledAddCases,
  ...takeTokenCases,
  ...concatCases,
  ...classPositionEmbedCases,
  ...l2NormalizeCases,
  ...layerNormCases,
  ...attentionCases,
  ...textEmbeddingsCases,
  ...softmaxCases,
  ...attentionProbsCases,
];
