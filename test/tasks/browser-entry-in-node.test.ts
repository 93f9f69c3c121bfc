// The package's browser entry imported in Node (without ./node): a path or a local file, as a model or an image,
// is refused with a one-line error that says to import bridgetower-webgpu/node, not "fetch failed".
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPathWeights } from '../../src/checkpoint/source-node';
import { CheckpointError, ImageError } from '../../src/errors';
import { BridgeTower } from '../../src/tasks';
import { testGpu } from '../gpu/node-gpu';

const HINT = "in Node, import from 'bridgetower-webgpu/node', which reads paths and file: URLs";
const PNG = 'test/fixtures/demo-model/eval/img-00.png';

let bt: BridgeTower;
beforeAll(async () => {
  const weights = await openPathWeights('weights/demo');
  try {
    bt = await BridgeTower.load(weights, { gpu: await testGpu() });
  } finally {
    await weights.close();
  }
});
afterAll(() => bt?.dispose());

describe('the browser entry in Node', () => {
  it('says to import the Node entry when loading the demo, a path or a file: URL', async () => {
    await expect(BridgeTower.load()).rejects.toThrow(new CheckpointError('the demo model', `local files: ${HINT}`));
    await expect(BridgeTower.load('./weights/demo/')).rejects.toThrow(
      new CheckpointError('./weights/demo/', `a path: ${HINT}`),
    );
    const url = pathToFileURL('weights/demo/');
    await expect(BridgeTower.load(url)).rejects.toThrow(new CheckpointError(url.href, `local files: ${HINT}`));
  });

  it('says so for an image path or file: URL, and still takes bytes', async () => {
    await expect(bt.vqa(PNG, 'what?')).rejects.toThrow(new ImageError(`the image ${PNG} is a local file: ${HINT}`));
    const url = pathToFileURL(PNG);
    await expect(bt.vqa(url, 'what?')).rejects.toThrow(
      new ImageError(`the image ${url.href} is a local file: ${HINT}`),
    );
    expect((await bt.vqa(readFileSync(PNG), 'what?')).answers.length).toBeGreaterThan(0);
  });
});
