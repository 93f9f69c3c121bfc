// BridgeTower.load's `dtype` holds for every source, not only hub ids: a folder stored otherwise is converted as
// it loads, to the same weights `bridgetower convert --dtype` writes; one already in that dtype is used as it is;
// a quantized folder is not rounded a second time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDirSink, openPathWeights } from '../../src/checkpoint/source-node';
import { writeWebFormat } from '../../src/checkpoint/web-format-write';
import type { LoadProgress } from '../../src/common/progress';
import { ConfigError } from '../../src/errors';
import type { Gpu } from '../../src/gpu/runtime';
import { BridgeTower } from '../../src/tasks/node';
import { loadModel } from '../../src/verify/load-model';
import { testGpu } from '../gpu/node-gpu';

const TEXT = 'a red circle';
let gpu: Gpu;
let q8Dir: string;
beforeAll(async () => {
  gpu = await testGpu();
  q8Dir = await mkdtemp(join(tmpdir(), 'bridgetower-q8-'));
  const weights = await openPathWeights('weights/demo');
  try {
    await writeWebFormat(weights, new NodeDirSink(q8Dir), { dtype: 'q8' });
  } finally {
    await weights.close();
  }
});
afterAll(() => rm(q8Dir, { recursive: true, force: true }));

async function loadWithPhases(source: string, dtype: 'f32' | 'q8' | 'f16') {
  const phases = new Set<string>();
  const bt = await BridgeTower.load(source, { gpu, dtype, onProgress: (p: LoadProgress) => phases.add(p.phase) });
  return { bt, phases };
}

describe('BridgeTower.load with dtype', () => {
  it('converts an f32 folder to q8 as it loads, to the weights convert --dtype q8 makes', async () => {
    const { bt, phases } = await loadWithPhases('./weights/demo/', 'q8');
    const reference = await loadModel(gpu, 'weights/demo', { convertTo: 'q8' });
    const f32 = await BridgeTower.load('./weights/demo/', { gpu });
    try {
      expect(phases.has('convert')).toBe(true);
      const ids = bt.tokenizer.encode(TEXT, 24);
      const expected = await reference.encodeText({ shape: [1, ids.length], data: Int32Array.from(ids) });
      const [q8] = await bt.embedText([TEXT]);
      expect(q8).toEqual(expected.data);
      expect((await f32.embedText([TEXT]))[0]).not.toEqual(q8);
    } finally {
      bt.dispose();
      reference.dispose();
      f32.dispose();
    }
  });

  it('uses a folder already in the dtype as it is', async () => {
    for (const [dir, dtype] of [
      ['./weights/demo/', 'f32'],
      [q8Dir, 'q8'],
    ] as const) {
      const { bt, phases } = await loadWithPhases(dir, dtype);
      bt.dispose();
      expect(phases.has('convert'), dir).toBe(false);
    }
  });

  it('refuses to round quantized weights a second time', async () => {
    await expect(BridgeTower.load(q8Dir, { gpu, dtype: 'f16' })).rejects.toThrow(
      new ConfigError(
        `${q8Dir} is stored as q8; converting it to f16 would round it twice: convert the original checkpoint instead, or load it without dtype`,
      ),
    );
  });
});
