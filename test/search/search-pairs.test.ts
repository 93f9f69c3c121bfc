// Where the model has HF's cross-modal embedding (the hf-itc fixture, BridgeTowerForContrastiveLearning): a picture
// that comes with text is indexed as the embedding of the pair, and text searches are re-ranked by the cosine of
// the query with the cross-modal embedding of each picture and the query.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseMergesTxt, parseVocabJson } from '../../src/checkpoint/tokenizer-files';
import { SearchIndex } from '../../src/search/search-index';
import type { BridgeTower } from '../../src/tasks';
import { loadBridgeTower } from '../../src/tasks/node';
import { testGpu } from '../gpu/node-gpu';

let hf: BridgeTower;
let images: Uint8Array[];

beforeAll(async () => {
  const tokenizer = {
    vocab: parseVocabJson(await readFile('test/fixtures/hf-model/vocab.json', 'utf8'), 'vocab.json'),
    merges: parseMergesTxt(await readFile('test/fixtures/hf-model/merges.txt', 'utf8'), 'merges.txt'),
  };
  hf = await loadBridgeTower('test/fixtures/hf-itc', { gpu: await testGpu(), open: { tokenizer } });
  images = await Promise.all(
    ['test/fixtures/hf-model/image.png', 'test/fixtures/images/grey.jpg'].map(
      async (p) => new Uint8Array(await readFile(p)),
    ),
  );
});
afterAll(() => hf?.dispose());

it('indexes pictures with text as pairs, alone without, and re-ranks by the cross-modal embedding', async () => {
  const index = await SearchIndex.create(hf);
  await index.add([
    { id: 'a', image: images[0], text: 'the cat sat on the mat.' },
    { id: 'b', image: images[1] },
  ]);
  expect(index.entries.map((e) => e.kind)).toEqual(['pair', 'image']);
  const [pair] = await hf.embedPairs([images[0]], ['the cat sat on the mat.']);
  const [alone] = await hf.embedImage([images[1]]);
  const D = pair.length;
  expect(index.vectors().subarray(0, D)).toEqual(pair);
  expect(index.vectors().subarray(D)).toEqual(alone);

  expect(index.reranker).toBe('cross');
  const query = 'a red box.';
  const hits = await index.searchText(query, { rerank: 2, pictures: async (e) => images[e.id === 'a' ? 0 : 1] });
  const [q] = await hf.embedText([query]);
  const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
  for (const h of hits) {
    const [cross] = await hf.embedPairs([images[h.id === 'a' ? 0 : 1]], [query]);
    expect(h.rerank).toBeCloseTo(dot(cross, q), 6);
  }
  expect(hits[0].rerank!).toBeGreaterThanOrEqual(hits[1].rerank!);
});
