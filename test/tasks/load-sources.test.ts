// BridgeTower.load's sources in Node once the ./node entry is imported: no source (the demo model), relative
// paths against the working directory, file: URLs; and a WeightSet or Directory as before.
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDirectory } from '../../src/checkpoint/source-node';
import { CheckpointError } from '../../src/errors';
import { createNodeGpu } from '../../src/gpu/node';
import type { Gpu } from '../../src/gpu/runtime';
import { BridgeTower, demoModelPath } from '../../src/tasks/node';
import { resolveUrl } from '../../src/tasks/platform';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await createNodeGpu();
});
afterAll(() => gpu?.destroy());

describe('BridgeTower.load in Node', () => {
  it('resolves relative URLs against the working directory', () => {
    expect(resolveUrl('weights/demo/').href).toBe(pathToFileURL(`${process.cwd()}/weights/demo/`).href);
  });

  it.each([
    ['no source (the demo)', undefined],
    ['a relative folder', 'weights/demo/'],
    ['a ./ folder without a slash', './weights/demo'],
    ['a file: URL', pathToFileURL(demoModelPath())],
    ['a Directory', new NodeDirectory(demoModelPath())],
  ])('%s', async (_what, source) => {
    const bt = await BridgeTower.load(source, { gpu });
    try {
      expect(bt.labels?.length).toBe(20);
      expect(bt.tokenizer.encode('how many red objects are there?', 24).length).toBeGreaterThan(2);
    } finally {
      bt.dispose();
    }
  });

  it('a missing folder is a one-line CheckpointError', async () => {
    await expect(BridgeTower.load('./no/such/folder/', { gpu })).rejects.toThrow(CheckpointError);
  });
});
