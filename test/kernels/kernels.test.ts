import { describe, expect, it } from 'vitest';
import { testGpu } from '../gpu/node-gpu';
import { allCases } from './cases';

describe('kernels (Node, Dawn)', () => {
  it('has cases', () => expect(allCases.length).toBeGreaterThan(0));
  for (const c of allCases) {
    it(`${c.kernel}: ${c.name}`, async () => {
      const r = await c.run(await testGpu());
      expect(r.pass, `${r.detail}; max abs err ${r.maxAbsErr} (${r.tolerance})`).toBe(true);
    });
  }
});
