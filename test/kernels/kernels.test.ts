import { describe, expect, it } from 'vitest';
import { allCases, kernelChecks } from '../../src/kernels/check';
import { testGpu } from '../gpu/node-gpu';

describe('kernels (Node, Dawn)', () => {
  it('has cases', () => expect(allCases.length).toBeGreaterThan(0));
  it('has cases and benchmarks for every kernel, each listed once under its own name', () => {
    expect(new Set(kernelChecks.map((k) => k.kernel)).size).toBe(kernelChecks.length);
    for (const k of kernelChecks) {
      expect(k.cases.length, k.kernel).toBeGreaterThan(0);
      expect(k.benchmarks.length, k.kernel).toBeGreaterThan(0);
      expect([...k.cases, ...k.benchmarks].filter((c) => c.kernel !== k.kernel)).toEqual([]);
    }
  });
  for (const c of allCases) {
    it(`${c.kernel}: ${c.name}`, async () => {
      const r = await c.run(await testGpu());
      expect(r.pass, `${r.detail}; max abs err ${r.maxAbsErr} (${r.tolerance})`).toBe(true);
    });
  }
});
