// Golden data made with the code that wrote each checkpoint (tools/reference/, issue #9): transformers v4.40.2's
// own BridgeTower classes for the hf-* folders (loaded as saved: config.json + model.safetensors or
// pytorch_model.bin), the authors' microsoft/BridgeTower module for the authors-* checkpoints (.ckpt). Every
// expected tensor, per element, within the manifest's |a-b| <= 1e-4 + 1e-3|b|, from each weight source and
// through the web format.
import { describe, expect, it } from 'vitest';
import { loadFixtureModel, verifyFixture, type VerifyOptions } from '../../src/cli/verify';
import { testGpu } from '../gpu/node-gpu';

const CASES: { fixture: string; definition: 'hf' | 'authors'; from: VerifyOptions['from'][] }[] = [
  { fixture: 'hf-model', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-bin', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-crosscfg', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-w96', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-mlm-eps', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-mlm-tied', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itc', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'authors-itm-itc', definition: 'authors', from: ['ckpt', 'web'] },
  { fixture: 'authors-w96', definition: 'authors', from: ['ckpt', 'web'] },
];

describe('golden data from the code that wrote the checkpoint', () => {
  for (const c of CASES) {
    for (const from of c.from) {
      it(`${c.fixture} from ${from}`, async () => {
        const dir = `test/fixtures/${c.fixture}`;
        const model = await loadFixtureModel(await testGpu(), dir, { from });
        try {
          expect(model.definition).toBe(c.definition);
          const report = await verifyFixture(model, dir);
          const failures = report.checks.filter((k) => !k.pass).map((k) => `${k.name}: ${k.detail}`);
          expect(failures, report.tolerance).toEqual([]);
          const worst = Math.max(...report.checks.map((k) => k.maxAbs));
          console.log(`${c.fixture} from ${from}: ${report.checks.length} tensors, worst |a-b| ${worst.toExponential(2)}`);
          expect(report.checks.length).toBeGreaterThan(10);
        } finally {
          model.dispose();
        }
      });
    }
  }
});
