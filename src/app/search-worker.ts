// The Search view's indexing worker: it loads its own copy of the page's model (by URL) and adds pictures to a
// stored index (src/search/browser-storage.ts), so that the page stays responsive while thousands of pictures
// are encoded. After every batch the index is saved, so a cancel, a closed tab or a crash keeps what was
// finished and the next run resumes from there; a cancel stops the batch under way at the next stage of its pass
// (a few image layers) and stores nothing of it. Each picture's thumbnail is stored as it is read.
import { AbortedError, BridgeTowerError } from '../errors';
import { putMedia, readIndex, saveIndex } from '../search/browser-storage';
import type { AddSummary, IndexItem } from '../search/search-index';
import { SearchIndex } from '../search/search-index';
import type { ImagePreprocess } from '../common/config';
import type { TaskProgress } from '../common/progress';
import { BridgeTower } from '../tasks';

export interface IndexRequest {
  type: 'index';
  /** The stored index to add to (created when there is none). */
  index: string;
  modelUrl: string;
  imagePreprocess: ImagePreprocess;
  batchSize: number;
  items: Array<Omit<IndexItem, 'image'> & { blob: Blob }>;
}

export type WorkerReply =
  | ({ type: 'progress' } & TaskProgress)
  | { type: 'done'; summary: AddSummary; entries: number }
  | { type: 'error'; message: string; cancelled: boolean };

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<IndexRequest | { type: 'cancel' }>) => void) | null;
  postMessage(m: WorkerReply): void;
};
let loaded: { key: string; model: Promise<BridgeTower> } | undefined;
let running: AbortController | undefined;

function model(url: string, imagePreprocess: ImagePreprocess): Promise<BridgeTower> {
  const key = `${url}\n${imagePreprocess}`;
  if (loaded?.key !== key) {
    void loaded?.model.then((m) => m.dispose()).catch(() => {});
    loaded = { key, model: BridgeTower.load(url, { imagePreprocess }) };
  }
  return loaded.model;
}

/** The picture scaled so that its short side is `size` (never enlarged): what the view shows and re-ranks with. */
async function thumbnail(blob: Blob, size: number): Promise<Blob> {
  const bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, size / Math.min(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale)),
    h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  return canvas.convertToBlob(w * h <= 128 * 128 ? { type: 'image/png' } : { type: 'image/jpeg', quality: 0.92 });
}

async function run(req: IndexRequest, signal: AbortSignal): Promise<void> {
  const bt = await model(req.modelUrl, req.imagePreprocess);
  const stored = await readIndex(req.index);
  const index = stored
    ? await SearchIndex.load(stored, bt, req.index, { signal })
    : await SearchIndex.create(bt, { signal });
  const save = () => saveIndex({ name: req.index, model: bt.source, entries: index.size }, index.save());
  if (!stored) await save();
  const size = bt.config.vision.imageSize;
  const summary = await index.add(
    req.items.map(({ blob, ...item }) => ({
      ...item,
      image: async () => {
        await putMedia(req.index, item.id, await thumbnail(blob, size));
        return blob;
      },
    })),
    {
      batchSize: req.batchSize,
      signal,
      onProgress: (p) => scope.postMessage({ type: 'progress', ...p }),
      onBatch: save,
    },
  );
  scope.postMessage({ type: 'done', summary, entries: index.size });
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'cancel') {
    running?.abort();
    return;
  }
  running = new AbortController();
  run(msg, running.signal).catch((e: unknown) => {
    const message = e instanceof BridgeTowerError || e instanceof Error ? e.message : String(e);
    scope.postMessage({ type: 'error', message, cancelled: e instanceof AbortedError });
  });
};
