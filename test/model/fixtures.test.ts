// Every public golden fixture through the GPU model, loaded from the original .ckpt, from HF safetensors and
// through the web format (f32), and through the f16, q8 and q4 web formats with their tolerances and top-1
// rules; then q8 / q4 against f32 weights holding the dequantized values, at the f32 bar.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toFloatDtype } from '../../src/common/f16';
import { openWeights } from '../../src/checkpoint/open';
import { NodeDirectory, NodeDirSink, NodeFileSource } from '../../src/checkpoint/source-node';
import type { HostTensor } from '../../src/common/tensor';
import { writeWebFormat } from '../../src/checkpoint/web-format-write';
import { readSafetensorsFile } from '../../src/verify/load-model';
import { loadFixtureModel, verifyFixture, type VerifyOptions } from '../../src/verify/fixture';
import { compareValues } from '../../src/common/compare';
import { BridgeTowerModel } from '../../src/model/bridgetower';
import { MemoryWeights } from '../../src/checkpoint/random-weights';
import { testGpu } from '../gpu/node-gpu';

const FIXTURES = ['tiny', 'tiny-nlvr2', 'small', 'tiny-legacy', 'tiny-half'];
const MODES: { name: string; opts: VerifyOptions }[] = [
  { name: 'ckpt', opts: { from: 'ckpt' } },
  { name: 'hf', opts: { from: 'hf' } },
  { name: 'web f32', opts: { from: 'web', dtype: 'f32' } },
  { name: 'web f16', opts: { from: 'web', dtype: 'f16' } },
  { name: 'web q8', opts: { from: 'web', dtype: 'q8' } },
  { name: 'web q4', opts: { from: 'web', dtype: 'q4' } },
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

// The quantized path against f32 weights holding exactly the dequantized values code · scale: every output at
// the fixtures' own f32 bar, so the kernels add nothing beyond the rounding of the weights to q8 / q4.
describe("q8 / q4 kernels add nothing beyond the weights' rounding", () => {
  for (const fixture of FIXTURES) {
    for (const dtype of ['q8', 'q4'] as const) {
      it(`${fixture} in ${dtype} = f32 with dequantized weights`, async () => {
        const gpu = await testGpu();
        const dir = `test/fixtures/${fixture}`;
        const out = mkdtempSync(join(tmpdir(), 'bt-quant-'));
        const src = await openWeights(await NodeFileSource.open(join(dir, 'model.ckpt')));
        try {
          await writeWebFormat(src, new NodeDirSink(out), { dtype });
        } finally {
          await src.close();
        }
        const web = await openWeights(new NodeDirectory(out));
        const dequantized = new Map<string, HostTensor>();
        for (const name of web.names()) dequantized.set(name, toFloatDtype(await web.read(name), 'f32', name));
        await web.close();
        const web2 = await openWeights(new NodeDirectory(out));
        const quantized = await BridgeTowerModel.load(gpu, web2);
        await web2.close();
        const reference = await BridgeTowerModel.load(gpu, new MemoryWeights(web2.config, dequantized));
        rmSync(out, { recursive: true, force: true });
        try {
          const inputs = await readSafetensorsFile(join(dir, 'inputs.safetensors'));
          const arr = (n: string) => {
            const t = inputs.get(n);
            return t && { shape: t.shape, data: t.data as never };
          };
          const x = {
            inputIds: arr('input_ids'),
            attentionMask: arr('attention_mask'),
            pixelValues: arr('pixel_values'),
            pixelValues2: arr('pixel_values_2'),
          };
          const known = new Set(quantized.knownOutputs());
          const outputs = [...(await readSafetensorsFile(join(dir, 'expected.safetensors'))).keys()].filter((n) =>
            known.has(n),
          );
          const [a, b] = [await quantized.forward(x, { outputs }), await reference.forward(x, { outputs })];
          const bad: string[] = [];
          for (const [name, want] of b) {
            const r = compareValues(a.get(name)!.data, want.data, 1e-4, 1e-3);
            if (!r.pass) bad.push(`${name}: ${r.detail}, max error ${r.maxAbs}`);
          }
          expect(bad, '|a-b| <= 1e-4 + 1e-3|b|').toEqual([]);
          expect(b.size).toBeGreaterThan(20);
        } finally {
          quantized.dispose();
          reference.dispose();
        }
      });
    }
  }
});
