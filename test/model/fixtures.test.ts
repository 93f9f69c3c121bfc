// Every public golden fixture through the GPU model, loaded from the original .ckpt, from HF safetensors and
// through the web format (f32), and through the f16 web format with its tolerance and exact top-1.
import { describe, expect, it } from 'vitest';
import { loadFixtureModel, verifyFixture, type VerifyOptions } from '../../src/cli/verify';
import { testGpu } from '../gpu/node-gpu';

const FIXTURES = ['tiny', 'tiny-nlvr2', 'small', 'tiny-legacy', 'tiny-half'];
const MODES: { name: string; opts: VerifyOptions }[] = [
  { name: 'ckpt', opts: { from: 'ckpt' } },
  { name: 'hf', opts: { from: 'hf' } },
  { name: 'web f32', opts: { from: 'web', dtype: 'f32' } },
  { name: 'web f16', opts: { from: 'web', dtype: 'f16' } },
];

describe('golden fixtures', () => {
  for (const fixture of FIXTURES) {
    for (const mode of MODES) {
      it(`${fixture} from ${mode.name}`, async () => {
        const dir = `test/fixtures/${fixture}`;
        const model = await loadFixtureModel(await testGpu(), dir, mode.opts);
        try {
          const report = await verifyFixture(model, dir, { dtype: mode.opts.dtype });
          const failures = report.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`);
          expect(failures, report.tolerance).toEqual([]);
          expect(report.checks.length).toBeGreaterThan(20);
        } finally {
          model.dispose();
        }
      });
    }
  }
});
