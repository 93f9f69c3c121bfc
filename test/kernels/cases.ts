// Every kernel case, for the Node suite (kernels.test.ts) and the browser page (kernels.html).
import type { KernelCase } from './harness';

export const allCases: KernelCase[] = [
];
