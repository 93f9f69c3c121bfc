// Every kernel case, for the Node suite (kernels.test.ts) and the browser page (kernels.html).
import type { KernelCase } from './harness';
import { linearCases } from './linear.cases';
import { addCases } from './add.cases';
import { takeTokenCases } from './take-token.cases';
import { concatCases } from './concat.cases';
import { l2NormalizeCases } from './l2-normalize.cases';

export const allCases: KernelCase[] = [
  ...linearCases,
  ...addCases,
  ...takeTokenCases,
  ...concatCases,
  ...l2NormalizeCases,
];
