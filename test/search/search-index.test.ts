// The search index on the demo model and 100 pictures of its world drawn by ./shape-world.ts: each picture's
// caption finds it at the recall the model's own embeddings give (computed here directly, without the index);
// a saved and reloaded index answers identically; a cancelled indexing resumes without encoding its finished
// pictures again, and a cancel within a batch's pass adds nothing of that batch; another model refuses the index; unreadable pictures are counted, not fatal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryWeights, randomWeights } from '../../src/checkpoint/random-weights';
import { AbortedError, IndexFileError, IndexMismatchError } from '../../src/errors';
import { SearchIndex, type IndexItem } from '../../src/search/search-index';
import { BridgeTower, type ImageInput } from '../../src/tasks';
import { loadBridgeTower, openModelWeights } from '../../src/tasks/node';
import { testGpu } from '../gpu/node-gpu';
import { maxDiff } from '../support/max-diff';
import { scenes, SIZE, type Scene } from './shape-world';

/** Recall of the demo model's ITC embeddings on these 100 pictures (seed 20), measured with this test. */
const RECALL_AT_1 = 0.51;
const RECALL_AT_5 = 0.98;

let demo: BridgeTower;
let pictures: Scene[];
let full: SearchIndex;

const picture = (s: Scene): ImageInput => ({ width: SIZE, height: SIZE, data: s.rgb, channels: 3 });
const item = (s: Scene, i: number): IndexItem => ({
  id: `pic-${String(i).padStart(3, '0')}.png`,
  image: picture(s),
  meta: { caption: s.caption },
});

beforeAll(async () => {
  demo = await loadBridgeTower(undefined, { gpu: await testGpu() });
  pictures = scenes(100, 20);
  full = await SearchIndex.create(demo);
  await full.add(pictures.map(item));
});
afterAll(() => demo?.dispose());

/** Where each caption's own picture ranks among all pictures, by cosine of the given embeddings. */
function ranks(texts: Float32Array[], images: Float32Array[]): number[] {
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  return texts.map((t, i) => {
    const own = dot(t, images[i]);
    return images.filter((im, j) => j !== i && (dot(t, im) > own || (dot(t, im) === own && j < i))).length;
  });
}

describe('SearchIndex on the demo model', () => {
  it('finds each caption’s picture among 100 at the recall of the embeddings computed directly', async () => {
    const texts = await demo.embedText(pictures.map((p) => p.caption));
    const images = await demo.embedImage(pictures.map((p) => ({ width: SIZE, height: SIZE, data: p.rgb })));
    const direct = ranks(texts, images);
    const found: number[] = [];
    for (const [i, p] of pictures.entries()) {
      const hits = await full.searchText(p.caption, { topK: 100, rerank: 0 });
      found.push(hits.findIndex((h) => h.id === item(p, i).id));
    }
    expect(found).toEqual(direct);
    const recall = (k: number, r: number[]) => r.filter((x) => x < k).length / r.length;
    expect([recall(1, found), recall(5, found)]).toEqual([RECALL_AT_1, RECALL_AT_5]);
    // The stored vectors are the embeddings themselves.
    const stored = full.vectors();
    images.forEach((v, i) =>
      expect(Array.from(stored.subarray(i * v.length, (i + 1) * v.length))).toEqual(Array.from(v)),
    );
  });

  it('re-ranks the best N by ITM with the pictures, and says where each hit stood by ITC', async () => {
    const byId = new Map(pictures.map((p, i) => [item(p, i).id, picture(p)]));
    let asked = 0;
    const hits = await full.searchText(pictures[3].caption, {
      topK: 5,
      rerank: 8,
      pictures: async (e) => {
        asked++;
        return byId.get(e.id)!;
      },
    });
    expect(asked).toBe(8);
    expect(full.reranker).toBe('itm');
    expect(hits).toHaveLength(5);
    for (const h of hits) expect(h.rerank).toBeGreaterThanOrEqual(0);
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1].rerank!).toBeGreaterThanOrEqual(hits[i].rerank!);
    const match = await demo.match(byId.get(hits[0].id)!, [pictures[3].caption]);
    expect(hits[0].rerank).toBeCloseTo(match[0].itm, 6);
    expect(new Set(hits.map((h) => h.itcRank)).size).toBe(5);
  });

  it('gives identical results after save and load, and saves the same bytes again', async () => {
    const bytes = full.save();
    const loaded = await SearchIndex.load(bytes, demo, 'photos.btindex');
    expect(loaded.size).toBe(100);
    for (const p of pictures.slice(0, 10)) {
      expect(await loaded.searchText(p.caption, { topK: 10, rerank: 0 })).toEqual(
        await full.searchText(p.caption, { topK: 10, rerank: 0 }),
      );
    }
    const probe = { width: SIZE, height: SIZE, data: pictures[7].rgb };
    expect(await loaded.searchImage(probe, { topK: 3 })).toEqual(await full.searchImage(probe, { topK: 3 }));
    expect((await loaded.searchImage(probe, { topK: 1 }))[0].id).toBe('pic-007.png');
    expect(loaded.save()).toEqual(bytes);
  });

  it('resumes a cancelled indexing without encoding its finished pictures again', async () => {
    const controller = new AbortController();
    const first = await SearchIndex.create(demo);
    const run = first.add(pictures.map(item), {
      batchSize: 8,
      signal: controller.signal,
      onBatch: (s) => {
        if (s.added === 24) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortedError);
    expect(first.size).toBe(24);
    const resumed = await SearchIndex.load(first.save(), demo);
    let loads = 0;
    const progress: number[] = [];
    const summary = await resumed.add(
      pictures.map((p, i) => ({
        ...item(p, i),
        image: async () => {
          loads++;
          return picture(p);
        },
      })),
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(summary).toEqual({ added: 76, skipped: 24, failed: [] });
    expect(loads).toBe(76);
    expect(progress.at(-1)).toBe(100);
    expect(resumed.entries.map((e) => e.id)).toEqual(full.entries.map((e) => e.id));
    expect(resumed.vectors()).toEqual(full.vectors());
  });

  it('stops a batch within its pass on a cancel and adds nothing of it', async () => {
    const controller = new AbortController();
    const index = await SearchIndex.create(demo);
    const ticks: string[] = [];
    const run = index.add(pictures.slice(0, 24).map(item), {
      batchSize: 8,
      signal: controller.signal,
      onProgress: (p) => {
        if (!p.pass) return;
        ticks.push(`${p.done} ${p.pass.done}/${p.pass.total}`);
        if (p.done === 8) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortedError);
    // The demo's image tower is two stages: the second batch stopped after its first.
    expect(ticks).toEqual(['0 1/2', '0 2/2', '8 1/2']);
    expect(index.size).toBe(8);
    expect(index.entries).toEqual(full.entries.slice(0, 8));
    expect(index.vectors()).toEqual(full.vectors().slice(0, 8 * index.identity.dimension));
  });

  it('counts unreadable pictures and adds the rest; removes entries', async () => {
    const index = await SearchIndex.create(demo);
    const summary = await index.add([
      item(pictures[0], 0),
      { id: 'broken.png', image: new Uint8Array([137, 80, 78, 71, 1, 2, 3]) },
      { id: 'missing.png', image: () => Promise.reject(new Error('ENOENT')) },
      item(pictures[1], 1),
    ]);
    expect(summary.added).toBe(2);
    expect(summary.failed.map((f) => f.id)).toEqual(['broken.png', 'missing.png']);
    expect(summary.failed[1].reason).toBe('ENOENT');
    expect(index.remove('pic-000.png')).toBe(true);
    expect(index.remove('pic-000.png')).toBe(false);
    expect(index.entries.map((e) => e.id)).toEqual(['pic-001.png']);
    // Two pictures and a batch of eight run the heads' matrix products in different kernel shapes
    // (src/kernels/linear-shape.ts), so only the last bits of an embedding may differ.
    const kept = index.vectors();
    expect(kept.length).toBe(32);
    expect(maxDiff(kept, full.vectors().subarray(32, 64))).toBeLessThan(1e-6);
  });

  it('is refused by a model with other weights, another preprocessing or another configuration', async () => {
    const bytes = full.save();
    const demoWeights = await openModelWeights('weights/demo');
    const gpu = await testGpu();
    const random = await BridgeTower.load(
      Object.assign(new MemoryWeights(demo.config, randomWeights(demo.config, 5)), {
        tokenizer: demoWeights.tokenizer,
      }),
      { gpu },
    );
    await demoWeights.close();
    const clip = await loadBridgeTower(undefined, { gpu, imagePreprocess: 'clip' });
    const hfItc = await loadBridgeTower('test/fixtures/hf-itc', { gpu });
    try {
      await expect(SearchIndex.load(bytes, random, 'photos.btindex')).rejects.toThrow(
        /photos\.btindex was made by another model .* differ in weights \(probe embeddings/,
      );
      await expect(SearchIndex.load(bytes, clip)).rejects.toThrow(/image preprocessing \(hf vs clip\)/);
      await expect(SearchIndex.load(bytes, hfItc)).rejects.toThrow(IndexMismatchError);
      await expect(SearchIndex.load(bytes, hfItc)).rejects.toThrow(/dimension .*definitions, configuration/);
    } finally {
      random.dispose();
      clip.dispose();
      hfItc.dispose();
    }
  });

  it('refuses a file that is not an index, or a damaged one, with IndexFileError', async () => {
    await expect(SearchIndex.load(new Uint8Array(100), demo, 'x.btindex')).rejects.toThrow(IndexFileError);
    const bytes = full.save();
    const cut = bytes.slice(0, bytes.length - 4);
    await expect(SearchIndex.load(cut, demo, 'cut.btindex')).rejects.toThrow(
      /^cut\.btindex: not a search index \(tensor vectors: data ends at byte/,
    );
  });
});
