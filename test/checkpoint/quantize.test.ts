// q8 / q4 quantization (src/common/quantize.ts) and its web-format storage: every value within half a
// step of the original, zero rows, a row with one huge value, K not a multiple of 32, row stacking, and
// manifests that a reader must refuse.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import {
  codeAt,
  concatQuantRows,
  dequantize,
  isQuantizable,
  matrixShape,
  Q4_BLOCK,
  quantize,
  type QuantDType,
} from '../../src/common/quantize';
import { NodeDirectory, NodeDirSink, NodeFileSource } from '../../src/checkpoint/source-node';
import { WEB_DTYPES, type Manifest } from '../../src/checkpoint/web-format';
import { writeWebFormat } from '../../src/checkpoint/web-format-write';
import { chunkRows } from '../../src/model/weights';
import { ChecksumError, CheckpointError } from '../../src/errors';
import { rng } from '../../src/kernels/check/harness';
import { fixturePath, tempDir } from './helpers';

const MAX_CODE = { q8: 127, q4: 7 };

/** Largest |dequantized - original| over each scale's elements, as a multiple of that scale's step. */
function worstSteps(values: Float32Array, shape: number[], dtype: QuantDType): number {
  const q = quantize(values, shape, dtype, 'w');
  const back = dequantize(q);
  const cols = matrixShape(shape)[1];
  const block = dtype === 'q8' ? cols : Q4_BLOCK;
  const perRow = Math.ceil(cols / block);
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const s = q.scales![Math.floor(i / cols) * perRow + Math.floor((i % cols) / block)];
    const err = Math.abs(back[i] - values[i]);
    worst = Math.max(worst, s === 0 ? (err === 0 ? 0 : Infinity) : err / s);
  }
  return worst;
}

function random(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);
}

describe.each(['q8', 'q4'] as const)('%s round trip', (dtype) => {
  it('keeps every value within half a step, K not a multiple of 32 (13 x 77)', () => {
    expect(worstSteps(random(13 * 77, 1), [13, 77], dtype)).toBeLessThanOrEqual(0.5 + 1e-6);
  });

  it('uses the full code range: max |w| of each scale maps to the largest code', () => {
    const w = random(5 * 64, 2);
    const q = quantize(w, [5, 64], dtype, 'w');
    let maxCode = 0;
    for (let i = 0; i < w.length; i++) maxCode = Math.max(maxCode, Math.abs(codeAt(dtype, q.data as Uint8Array, i)));
    expect(maxCode).toBe(MAX_CODE[dtype]);
  });

  it('zero rows come back as zeros with scale 0', () => {
    const w = random(4 * 40, 3);
    w.fill(0, 40, 80);
    const q = quantize(w, [4, 40], dtype, 'w');
    const back = dequantize(q);
    for (let i = 40; i < 80; i++) expect(back[i]).toBe(0);
    expect(worstSteps(w, [4, 40], dtype)).toBeLessThanOrEqual(0.5 + 1e-6);
  });

  it('a row with one huge value: still within half a step, the other rows unaffected', () => {
    const w = random(3 * 70, 4, 0.01);
    w[75] = 1e4;
    expect(worstSteps(w, [3, 70], dtype)).toBeLessThanOrEqual(0.5 + 1e-6);
    const back = dequantize(quantize(w, [3, 70], dtype, 'w'));
    for (const i of [0, 69, 140, 209]) expect(Math.abs(back[i] - w[i])).toBeLessThan(0.01 / MAX_CODE[dtype]);
  });

  it('a 4-d tensor (conv1 [H, 3, P, P]) is the [H, 3·P·P] matrix', () => {
    const w = random(6 * 3 * 5 * 5, 5);
    const q = quantize(w, [6, 3, 5, 5], dtype, 'conv1');
    expect(q.scales!.length).toBe(dtype === 'q8' ? 6 : 6 * Math.ceil(75 / 32));
    expect(worstSteps(w, [6, 3, 5, 5], dtype)).toBeLessThanOrEqual(0.5 + 1e-6);
  });

  it('stacking rows (q/k/v) equals quantizing the stacked matrix, also with odd rows x cols', () => {
    const parts = [
      [3, 15],
      [2, 15],
      [5, 15],
    ].map((s, i) => ({ shape: s, w: random(s[0] * s[1], 10 + i) }));
    const stacked = concatQuantRows(parts.map((p) => quantize(p.w, p.shape, dtype, 'w')));
    const all = new Float32Array(parts.reduce((n, p) => n + p.w.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p.w, o);
      o += p.w.length;
    }
    const direct = quantize(all, [10, 15], dtype, 'w');
    expect(stacked.shape).toEqual([10, 15]);
    if (dtype === 'q8') expect([...stacked.data]).toEqual([...direct.data]);
    // q4 blocks are per row, so stacking whole rows changes no scale and no code.
    expect([...dequantize(stacked)]).toEqual([...dequantize(direct)]);
  });

  it('refuses non-finite values, naming the tensor', () => {
    const w = random(8, 6);
    w[3] = NaN;
    expect(() => quantize(w, [2, 4], dtype, 'enc.weight')).toThrow(/enc\.weight.*element 3 is NaN/);
  });
});

describe('which tensors are quantized', () => {
  it('matrices only, not the added embedding tables', () => {
    expect(isQuantizable('text_transformer.embeddings.word_embeddings.weight', [50265, 768])).toBe(true);
    expect(isQuantizable('vit_model.visual.transformer.resblocks.0.attn.in_proj_weight', [2304, 768])).toBe(true);
    expect(isQuantizable('vit_model.visual.conv1.weight', [768, 3, 16, 16])).toBe(true);
    expect(isQuantizable('mlm_score.decoder.weight', [50265, 768])).toBe(true);
    expect(isQuantizable('text_transformer.embeddings.position_embeddings.weight', [514, 768])).toBe(false);
    expect(isQuantizable('token_type_embeddings.weight', [2, 768])).toBe(false);
    expect(isQuantizable('vit_model.visual.positional_embedding', [325, 768])).toBe(false);
    expect(isQuantizable('cross_modal_text_layers.0.output.LayerNorm.weight', [768])).toBe(false);
  });
});

describe('web format', () => {
  it('lists its dtypes', () => expect(WEB_DTYPES).toEqual(['f32', 'f16', 'q8', 'q4']));

  async function convertTiny(dtype: QuantDType): Promise<string> {
    const src = await openWeights(await NodeFileSource.open(fixturePath('tiny', 'model.ckpt')));
    const out = tempDir();
    await writeWebFormat(src, new NodeDirSink(out), { dtype });
    await src.close();
    return out;
  }

  it.each(['q8', 'q4'] as const)(
    '%s: matrices quantized exactly as quantize() does, the rest f32 bit-exact',
    async (dtype) => {
      const out = await convertTiny(dtype);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.version).toBe(2);
      expect(manifest.dtype).toBe(dtype);
      const src = await openWeights(await NodeFileSource.open(fixturePath('tiny', 'model.ckpt')));
      const web = await openWeights(new NodeDirectory(out));
      let quantized = 0;
      try {
        for (const name of src.names()) {
          const s = await src.read(name);
          const t = await web.read(name);
          const entry = manifest.tensors.find((e) => e.name === name)!;
          if (isQuantizable(name, s.shape)) {
            quantized++;
            const want = quantize(s.data as Float32Array, s.shape, dtype, name);
            expect(t.dtype, name).toBe(dtype);
            expect(entry.block, name).toBe(dtype === 'q8' ? matrixShape(s.shape)[1] : 32);
            expect(entry.scales, name).toBe(want.scales!.length);
            expect([...t.data], name).toEqual([...want.data]);
            expect([...t.scales!], name).toEqual([...want.scales!]);
          } else {
            expect(t.dtype, name).toBe('f32');
            expect([...t.data], name).toEqual([...s.data]);
          }
        }
      } finally {
        await src.close();
        await web.close();
      }
      expect(quantized).toBeGreaterThan(50);
    },
  );

  it('crc32 covers the scales', async () => {
    const out = await convertTiny('q8');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const t = manifest.tensors.find((e) => e.dtype === 'q8')!;
    const shard = join(out, manifest.shards[t.shard].file);
    const bytes = readFileSync(shard);
    bytes[t.offset + t.length - 1] ^= 0x40; // the last scale's top byte
    writeFileSync(shard, bytes);
    const web = await openWeights(new NodeDirectory(out));
    await expect(web.read(t.name)).rejects.toThrow(ChecksumError);
    await web.close();
  });

  const edit = async (change: (m: Manifest & Record<string, unknown>) => void): Promise<string> => {
    const out = await convertTiny('q4');
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    change(m);
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(m));
    return out;
  };

  it("a version 1 reader's view: a q4 file claiming version 1 is refused", async () => {
    const out = await edit((m) => {
      (m as { version: number }).version = 1;
    });
    await expect(openWeights(new NodeDirectory(out))).rejects.toThrow(/dtype q4 needs version 2, the manifest says 1/);
  });

  it('refuses a block size this reader does not support', async () => {
    const out = await edit((m) => {
      m.tensors.find((t) => t.dtype === 'q4')!.block = 64;
    });
    await expect(openWeights(new NodeDirectory(out))).rejects.toThrow(CheckpointError);
    await expect(openWeights(new NodeDirectory(out))).rejects.toThrow(/has block 64; this reader supports 32/);
  });

  it('refuses a future version', async () => {
    const out = await edit((m) => {
      (m as { version: number }).version = 3;
    });
    await expect(openWeights(new NodeDirectory(out))).rejects.toThrow(/version 3 is not supported/);
  });
});

describe('row chunks of a quantized matrix (the word table and MLM decoder over the binding limit)', () => {
  it.each(['q8', 'q4'] as const)('%s: rows [8, 24) of a 30 x 45 matrix are the quantized rows [8, 24)', (dtype) => {
    const w = random(30 * 45, 7);
    const q = quantize(w, [30, 45], dtype, 'w');
    const chunk = chunkRows({ dtype, shape: [30, 45], data: q.data as Uint8Array, scales: q.scales }, 8, 16);
    const direct = quantize(w.subarray(8 * 45, 24 * 45), [16, 45], dtype, 'w');
    expect(chunk.shape).toEqual([16, 45]);
    expect([...chunk.data]).toEqual([...direct.data]);
    expect([...chunk.scales!]).toEqual([...direct.scales!]);
  });
});
