// With the ./node entry, every place an image or a model goes takes a path (against the working directory,
// whatever characters its name has) or a file: URL, as a string or a URL object.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ImageError } from '../../src/errors';
import type { Gpu } from '../../src/gpu/runtime';
import { BridgeTower } from '../../src/tasks/node';
import { testGpu } from '../gpu/node-gpu';

const PNG = 'test/fixtures/demo-model/eval/img-00.png';
const QUESTION = 'how many objects are in the image';

let gpu: Gpu;
let bt: BridgeTower;
let dir: string;
beforeAll(async () => {
  gpu = await testGpu();
  bt = await BridgeTower.load('./weights/demo', { gpu });
  dir = mkdtempSync(join(tmpdir(), 'bt-paths-'));
  copyFileSync(PNG, join(dir, 'a #1 ?%20.png'));
});
afterAll(() => {
  bt?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('paths and file: URLs in Node', () => {
  it('read an image from every form of path and URL, with the same answer as its bytes', async () => {
    const expected = (await bt.vqa(readFileSync(PNG), QUESTION)).answers;
    const odd = join(dir, 'a #1 ?%20.png');
    for (const image of [
      PNG,
      `./${PNG}`,
      resolve(PNG),
      pathToFileURL(PNG),
      pathToFileURL(PNG).href,
      odd,
      relative(process.cwd(), odd),
      pathToFileURL(odd),
    ])
      expect((await bt.vqa(image, QUESTION)).answers, String(image)).toEqual(expected);
    const [fromPath] = await bt.embedImage([PNG]);
    expect(fromPath).toEqual((await bt.embedImage([readFileSync(PNG)]))[0]);
    const hits = await bt.retrieveImages('a red circle', [PNG, pathToFileURL(odd)], { rerank: 0 });
    expect(hits.map((h) => h.itc)).toEqual([hits[0].itc, hits[0].itc]);
  });

  it('name a missing image file in one line', async () => {
    await expect(bt.vqa('no/such/photo.png', QUESTION)).rejects.toThrow(
      new ImageError('no/such/photo.png: cannot read (ENOENT)'),
    );
  });

  it('load a model from a single weight file, by path or file: URL', async () => {
    for (const source of ['test/fixtures/tiny/model.ckpt', pathToFileURL('test/fixtures/tiny/model.ckpt')]) {
      const tiny = await BridgeTower.load(source, { gpu });
      try {
        expect(tiny.hasHead('mlm'), String(source)).toBe(true);
      } finally {
        tiny.dispose();
      }
    }
    await expect(BridgeTower.load('./no/such/model.ckpt', { gpu })).rejects.toThrow(CheckpointError);
  });
});
