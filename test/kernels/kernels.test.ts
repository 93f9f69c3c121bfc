import { describe, expect, it } from 'vitest';
import { benchmarkedKernels } from '../../src/kernels/bench';
import { testGpu } from '../gpu/node-gpu';
import { allCases } from './cases';

describe('kernels (Node, Dawn)', () => {
  it('has cases', () => expect(allCases.length).toBeGreaterThan(0));
  it('has cases and benchmarks for the same kernels', () => {
    expect([...new Set(allCases.map((c) => c.kernel))].sort()).toEqual([...benchmarkedKernels].sort());
  });
  for (const c of allCases) {
    it(`${c.kernel}: ${c.name}`, async () => {
      const r = await c.run(await testGpu());
      expect(r.pass, `${r.detail}; max abs err ${r.maxAbsErr} (${r.tolerance})`).toBe(true);
    });
  }
});
