// Golden data made with the code that wrote each checkpoint (tools/reference/, issue #9): transformers v4.40.2's
// own BridgeTower classes for the hf-* folders (loaded as saved: config.json + model.safetensors or
// pytorch_model.bin), the authors' microsoft/BridgeTower module for the authors-* checkpoints (.ckpt). Every
// expected tensor, per element, within the manifest's |a-b| <= 1e-4 + 1e-3|b|, from each weight source and
// through the web format.
import { describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../src/verify/load-model';
import { loadFixtureModel, verifyFixture, type VerifyOptions } from '../../src/verify/fixture';
import { compareValues } from '../../src/common/compare';
import type { HostArray, IdData } from '../../src/model/bridgetower';
import { testGpu } from '../gpu/node-gpu';

const CASES: { fixture: string; definition: 'hf' | 'authors'; from: VerifyOptions['from'][] }[] = [
  { fixture: 'hf-model', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-bin', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-crosscfg', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-w96', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-mlm-eps', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-mlm-tied', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itc', definition: 'hf', from: ['hf', 'web'] },
  { fixture: 'hf-itm-mlm-itc', definition: 'hf', from: ['hf', 'web'] },
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
          console.log(
            `${c.fixture} from ${from}: ${report.checks.length} tensors, worst |a-b| ${worst.toExponential(2)}`,
          );
          expect(report.checks.length).toBeGreaterThan(10);
        } finally {
          model.dispose();
        }
      });
    }
  }
});

describe('golden data through the f16 web format (the f16 bar and exact top-1)', () => {
  for (const fixture of ['hf-mlm-tied', 'hf-itm-bin', 'hf-itc', 'authors-itm-itc']) {
    it(`${fixture} from web f16`, async () => {
      const dir = `test/fixtures/${fixture}`;
      const model = await loadFixtureModel(await testGpu(), dir, { from: 'web', dtype: 'f16' });
      try {
        const report = await verifyFixture(model, dir, { dtype: 'f16' });
        const failures = report.checks.filter((k) => !k.pass).map((k) => `${k.name}: ${k.detail}`);
        expect(failures, report.tolerance).toEqual([]);
        expect(report.checks.some((k) => k.name.startsWith('top1('))).toBe(true);
      } finally {
        model.dispose();
      }
    });
  }
});

describe("the authors' ITM path of itm_itc models", () => {
  it('computes every cross-layer intermediate of infer_fusion (itm.*), and itm_logits from it, not from infer', async () => {
    const dir = 'test/fixtures/authors-itm-itc';
    const model = await loadFixtureModel(await testGpu(), dir, { from: 'ckpt' });
    try {
      const inputs = await readSafetensorsFile(`${dir}/inputs.safetensors`);
      const path = await readSafetensorsFile(`${dir}/expected-itm-path.safetensors`);
      const names = [...path.keys()].filter((n) => n !== 'itm.infer_path_itm_logits');
      expect(names.length).toBeGreaterThan(8);
      expect(model.describeDefinitions()).toMatch(/infer_fusion/);
      const got = await model.forward(
        {
          inputIds: inputs.get('input_ids') as HostArray<IdData>,
          attentionMask: inputs.get('attention_mask') as HostArray<IdData>,
          pixelValues: inputs.get('pixel_values') as HostArray<Float32Array>,
        },
        { outputs: [...names, 'cls_feats'] },
      );
      for (const name of names) {
        const want = path.get(name)!.data as Float32Array,
          have = got.get(name)!.data;
        const r = compareValues(have, want, 1e-4, 1e-3);
        expect(r.pass, `${name}: ${r.detail}`).toBe(true);
      }
      // The infer path's cls_feats differ from the ITM path's here (separate vision LayerNorms, deeper vision).
      const a = got.get('cls_feats')!.data,
        b = got.get('itm.cls_feats')!.data;
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-2);
    } finally {
      model.dispose();
    }
  });
});
