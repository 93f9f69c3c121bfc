// A search index over pictures (and video frames) for one model: add pictures in batches of several per forward
// pass, remove them, search by text (ITC cosine, then re-rank the best N with ITM, or with HF's cross-modal
// embedding where the model has no ITM head) or by example picture, save and load (./index-file.ts).
//
// Memory stays bounded however many pictures go in: items are pulled from an (async) iterable a batch at a time
// and each picture is decoded only for its batch, so the index holds D floats and the entry record per picture.
// Indexing is resumable: a picture whose id is already in the index is skipped, and `onBatch` runs after each
// batch (save there). A cancel stops the batch under way at the next stage of its forward pass (a few image layers)
// and adds none of it: the index keeps every finished batch and nothing of the cancelled one.
import { AbortedError, ArgumentError, HeadUnavailableError, IndexMismatchError } from '../errors';
import { definitions, type BridgeTowerConfig, type ImagePreprocess } from '../common/config';
import type { TaskOptions, TaskProgress } from '../common/progress';
import type { BridgeTowerModel } from '../model/bridgetower';
import { toRgb, type ImageInput } from '../preprocess/image-input';
import type { RgbImage } from '../preprocess/rgb-image';
import { readIndexFile, writeIndexFile, type IndexEntry, type Json, type ModelIdentity } from './index-file';

export type { IndexEntry, ModelIdentity };
import { topK, VectorRows } from './vectors';

/** What the index needs of a model: the public task API's embeddings and matching (BridgeTower has them all). */
export interface IndexModel {
  readonly config: BridgeTowerConfig;
  readonly source: string;
  readonly imagePreprocess: ImagePreprocess;
  readonly model: Pick<BridgeTowerModel, 'weights'>;
  hasHead(head: 'itm' | 'itc'): boolean;
  embedText(texts: readonly string[], opts?: TaskOptions): Promise<Float32Array[]>;
  embedImage(images: readonly ImageInput[], opts?: TaskOptions): Promise<Float32Array[]>;
  embedPairs(images: readonly ImageInput[], texts: readonly string[], opts?: TaskOptions): Promise<Float32Array[]>;
  match(image: ImageInput, texts: readonly string[], opts?: TaskOptions): Promise<Array<{ itm: number }>>;
}

export interface IndexItem {
  id: string;
  /** The picture, or a function that reads it (called when its batch is encoded, so thousands fit in memory). */
  image: ImageInput | (() => Promise<ImageInput>);
  /** Text that goes with the picture: embedded with it (embedPair) where the model has a cross-modal embedding. */
  text?: string;
  meta?: { [key: string]: Json };
}

export interface AddOptions extends TaskOptions {
  /**
   * Pictures per forward pass.
   * @default 8
   */
  batchSize?: number;
  /**
   * How many items the iterable holds, for progress.
   * @default an array's length, else unknown
   */
  total?: number;
  /**
   * After each batch is in the index (a checkpoint: save here); awaited before the next batch.
   * @default none
   */
  onBatch?: (summary: AddSummary) => void | Promise<void>;
}

export interface AddSummary {
  /** Pictures encoded and added. */
  added: number;
  /** Items whose id was already in the index (a resumed run's finished pictures). */
  skipped: number;
  /** Items that could not be read or decoded, with why; they are not in the index. */
  failed: Array<{ id: string; reason: string }>;
}

export interface SearchOptions extends TaskOptions {
  /**
   * Hits returned.
   * @default 10
   */
  topK?: number;
  /**
   * How many of the best by ITC are re-ranked; 0: the ITC order alone.
   * @default 16 with `pictures`, 0 without
   */
  rerank?: number;
  /**
   * Reads an entry's picture again, for re-ranking (the index keeps vectors, not pictures).
   * @default none: no re-ranking
   */
  pictures?: (entry: IndexEntry) => Promise<ImageInput>;
}

export interface SearchHit {
  id: string;
  entry: IndexEntry;
  /** Cosine similarity of the query's and the entry's embeddings. */
  itc: number;
  /** 0-based place in the ITC order, to show what re-ranking changed. */
  itcRank: number;
  /** The re-ranking score (ITM probability, or the cross-modal cosine) for re-ranked hits. */
  rerank?: number;
}

/** The text and picture embedded to recognise the model that made an index. */
export const PROBE_TEXT = 'a red circle, a blue square and a green triangle';
/** Below this cosine between stored and recomputed probe embeddings, the weights are not the same. */
const PROBE_MIN_COSINE = 0.99;
const DEFAULT_BATCH = 8;

export class SearchIndex {
  private readonly list: IndexEntry[];
  private readonly rows: VectorRows;
  private readonly ids: Map<string, number>;

  private constructor(
    readonly model: IndexModel,
    readonly identity: ModelIdentity,
    private readonly probe: { text: Float32Array; image: Float32Array },
    entries: IndexEntry[] = [],
    vectors?: Float32Array,
  ) {
    this.list = entries;
    this.rows = new VectorRows(identity.dimension, vectors);
    this.ids = new Map(entries.map((e, i) => [e.id, i]));
  }

  /** An empty index for `model` (the probe embeddings: a text pass and a picture pass, which `signal` stops). */
  static async create(model: IndexModel, opts: Pick<TaskOptions, 'signal'> = {}): Promise<SearchIndex> {
    const identity = modelIdentity(model);
    return new SearchIndex(model, identity, await probeEmbeddings(model, opts));
  }

  /** A saved index, for the model that made it; another model gets an IndexMismatchError naming the difference. */
  static async load(
    bytes: Uint8Array,
    model: IndexModel,
    file = 'the index',
    opts: Pick<TaskOptions, 'signal'> = {},
  ): Promise<SearchIndex> {
    const saved = readIndexFile(bytes, file);
    const current = modelIdentity(model);
    const differs = identityDifferences(saved.model, current);
    if (!differs.length) {
      const probe = await probeEmbeddings(model, opts);
      const cos = Math.min(dot(probe.text, saved.probe.text), dot(probe.image, saved.probe.image));
      if (cos < PROBE_MIN_COSINE) differs.push(`weights (probe embeddings agree only to cosine ${cos.toFixed(4)})`);
    }
    if (differs.length) {
      throw new IndexMismatchError(
        `${file} was made by another model (${saved.model.source}) than ${model.source}: they differ in ` +
          `${differs.join(', ')}; search it with the model that made it, or index the pictures again`,
      );
    }
    return new SearchIndex(model, saved.model, saved.probe, saved.entries, saved.vectors);
  }

  get size(): number {
    return this.list.length;
  }

  get entries(): readonly IndexEntry[] {
    return this.list;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** What re-ranks text searches: 'itm', HF's cross-modal embedding ('cross'), or nothing. */
  get reranker(): 'itm' | 'cross' | undefined {
    if (this.model.hasHead('itm')) return 'itm';
    return this.model.config.heads.itc?.cross ? 'cross' : undefined;
  }

  /** Remove an entry; false when the id is not in the index. */
  remove(id: string): boolean {
    const i = this.ids.get(id);
    if (i === undefined) return false;
    this.list.splice(i, 1);
    this.rows.remove(i);
    this.ids.delete(id);
    for (let j = i; j < this.list.length; j++) this.ids.set(this.list[j].id, j);
    return true;
  }

  /** The saved form (./index-file.ts). */
  save(): Uint8Array {
    return writeIndexFile({
      model: this.identity,
      entries: this.list,
      vectors: this.rows.matrix(),
      probe: this.probe,
    });
  }

  /** The vectors as one [size, dimension] array (row i: entries[i]). */
  vectors(): Float32Array {
    return this.rows.matrix();
  }

  /**
   * Encode and add pictures, `batchSize` per forward pass. Items already in the index are skipped; items that
   * cannot be read are counted in `failed`. Progress counts items handled and ticks within each batch's pass; a
   * cancel stops that pass at its next stage and adds nothing of its batch.
   */
  async add(
    items: readonly IndexItem[] | AsyncIterable<IndexItem>,
    { batchSize = DEFAULT_BATCH, total, onBatch, signal, onProgress }: AddOptions = {},
  ): Promise<AddSummary> {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new ArgumentError(`batchSize must be a positive integer, got ${batchSize}`);
    const summary: AddSummary = { added: 0, skipped: 0, failed: [] };
    const count = total ?? ('length' in items ? items.length : 0);
    const handled = () => summary.added + summary.skipped + summary.failed.length;
    const cross = !!this.model.config.heads.itc?.cross;
    let batch: IndexItem[] = [];
    const flush = async () => {
      const pass = within(onProgress, 'indexing pictures', handled(), count);
      await this.encodeBatch(batch, cross, summary, { signal, onProgress: pass });
      batch = [];
      onProgress?.({ stage: 'indexing pictures', done: handled(), total: count });
      await onBatch?.(summary);
    };
    onProgress?.({ stage: 'indexing pictures', done: 0, total: count });
    for await (const item of items) {
      if (signal?.aborted) throw new AbortedError('indexing was cancelled');
      if (this.has(item.id) || batch.some((b) => b.id === item.id)) {
        summary.skipped++;
        continue;
      }
      batch.push(item);
      if (batch.length === batchSize) await flush();
    }
    if (batch.length) {
      if (signal?.aborted) throw new AbortedError('indexing was cancelled');
      await flush();
    }
    return summary;
  }

  /** Text search: ITC cosine over every entry, then the best `rerank` re-ranked (see SearchOptions). */
  async searchText(query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    const { topK: k = 10, pictures, signal, onProgress } = opts;
    const rerank = opts.rerank ?? (pictures ? 16 : 0);
    if (rerank > 0 && !pictures) {
      throw new ArgumentError('re-ranking needs the pictures again: pass `pictures`, or rerank: 0 for the ITC order');
    }
    const [q] = await this.model.embedText([query], { signal });
    const hits = this.rank(q, Math.max(k, rerank));
    const reranker = this.reranker;
    if (!rerank || !reranker || !pictures) return hits.slice(0, k);
    const head = hits.slice(0, rerank);
    onProgress?.({ stage: 're-ranking', done: 0, total: head.length });
    for (const [i, hit] of head.entries()) {
      if (signal?.aborted) throw new AbortedError('the search was cancelled');
      const image = await pictures(hit.entry);
      const pass = { signal, onProgress: within(onProgress, 're-ranking', i, head.length) };
      hit.rerank =
        reranker === 'itm'
          ? (await this.model.match(image, [query], pass))[0].itm
          : dot((await this.model.embedPairs([image], [query], pass))[0], q);
      onProgress?.({ stage: 're-ranking', done: i + 1, total: head.length });
    }
    head.sort((a, b) => b.rerank! - a.rerank! || a.itcRank - b.itcRank);
    return [...head, ...hits.slice(rerank)].slice(0, k);
  }

  /** Search by example picture: ITC image-to-image cosine (no re-ranking). */
  async searchImage(
    image: ImageInput,
    {
      topK: k = 10,
      signal,
    }: Pick<TaskOptions, 'signal'> & {
      /**
       * Hits returned.
       * @default 10
       */
      topK?: number;
    } = {},
  ): Promise<SearchHit[]> {
    const [q] = await this.model.embedImage([image], { signal });
    return this.rank(q, k);
  }

  private rank(query: Float32Array, k: number): SearchHit[] {
    const scores = this.rows.scores(query);
    return topK(scores, k).map((i, itcRank) => ({ id: this.list[i].id, entry: this.list[i], itc: scores[i], itcRank }));
  }

  /** Encode a batch and add it, or (a cancel, a failure) add nothing of it: every vector is made before any entry. */
  private async encodeBatch(batch: IndexItem[], cross: boolean, summary: AddSummary, pass: TaskOptions): Promise<void> {
    const decoded: Array<{ item: IndexItem; rgb: RgbImage }> = [];
    for (const item of batch) {
      try {
        const source = typeof item.image === 'function' ? await item.image() : item.image;
        decoded.push({ item, rgb: await toRgb(source) });
      } catch (e) {
        summary.failed.push({ id: item.id, reason: e instanceof Error ? e.message : String(e) });
      }
    }
    const pairs = cross ? decoded.filter((d) => d.item.text?.trim()) : [];
    const alone = decoded.filter((d) => !pairs.includes(d));
    const vectors = new Map<IndexItem, Float32Array>();
    if (alone.length) {
      const v = await this.model.embedImage(
        alone.map((d) => d.rgb),
        pass,
      );
      alone.forEach((d, i) => vectors.set(d.item, v[i]));
    }
    if (pairs.length) {
      const v = await this.model.embedPairs(
        pairs.map((d) => d.rgb),
        pairs.map((d) => d.item.text!),
        pass,
      );
      pairs.forEach((d, i) => vectors.set(d.item, v[i]));
    }
    for (const { item } of decoded) {
      const entry: IndexEntry = { id: item.id, kind: pairs.some((p) => p.item === item) ? 'pair' : 'image' };
      if (item.text !== undefined) entry.text = item.text;
      if (item.meta !== undefined) entry.meta = item.meta;
      this.ids.set(item.id, this.list.length);
      this.list.push(entry);
      this.rows.push(vectors.get(item)!);
      summary.added++;
    }
  }
}

/** What identifies the model that makes an index's vectors. */
function modelIdentity(model: IndexModel): ModelIdentity {
  const itc = model.config.heads.itc;
  if (!itc || !model.hasHead('itc'))
    throw new HeadUnavailableError(
      'itc',
      `a search index needs the contrastive (ITC) heads, which ${model.source} does not have`,
    );
  return {
    source: model.source,
    dimension: itc.dim,
    dtype: model.model.weights.get('itc_text_head.fc.weight').dtype,
    imagePreprocess: model.imagePreprocess,
    definitions: definitions(model.config),
    config: model.config,
  };
}

function identityDifferences(saved: ModelIdentity, current: ModelIdentity): string[] {
  const out: string[] = [];
  if (saved.dimension !== current.dimension) out.push(`dimension (${saved.dimension} vs ${current.dimension})`);
  if (saved.dtype !== current.dtype) out.push(`dtype (${saved.dtype} vs ${current.dtype})`);
  if (saved.imagePreprocess !== current.imagePreprocess)
    out.push(`image preprocessing (${saved.imagePreprocess} vs ${current.imagePreprocess})`);
  if (canonicalJson(saved.definitions) !== canonicalJson(current.definitions)) out.push('definitions');
  if (canonicalJson(saved.config) !== canonicalJson(current.config)) out.push('configuration');
  return out;
}

/** JSON with object keys sorted, so that two records compare by content whatever order their keys came in. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

async function probeEmbeddings(
  model: IndexModel,
  opts: Pick<TaskOptions, 'signal'>,
): Promise<{ text: Float32Array; image: Float32Array }> {
  const S = model.config.vision.imageSize;
  const data = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      for (let c = 0; c < 3; c++) data[(y * S + x) * 3 + c] = (x * 7 + y * 13 + c * 85 + ((x ^ y) & 16) * 4) & 255;
  const [text] = await model.embedText([PROBE_TEXT], opts);
  const [image] = await model.embedImage([{ width: S, height: S, data, channels: 3 }], opts);
  return { text, image };
}

/**
 * A task's progress callback that reports only the ticks within its passes, as `stage` with `done` of `total`
 * items of the caller's finished: the index counts its own items between passes.
 */
function within(
  onProgress: TaskOptions['onProgress'],
  stage: string,
  done: number,
  total: number,
): TaskOptions['onProgress'] {
  if (!onProgress) return undefined;
  return (p: TaskProgress) => {
    if (p.pass) onProgress({ stage, done, total, pass: p.pass });
  };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
