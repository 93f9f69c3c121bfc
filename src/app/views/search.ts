// Search: the user's own pictures and videos, indexed in a Web Worker (../search-worker.ts) into an index kept in
// this browser's storage (src/search/browser-storage.ts), then searched as one types (the ITC order at once, then
// the best RERANK re-ranked by ITM, showing what moved) or by example picture. Nothing leaves the machine.
import { BridgeTowerError, UsageError } from '../../errors';
import {
  deleteIndex,
  getMedia,
  listIndexes,
  putMedia,
  readIndex,
  type StoredIndex,
} from '../../search/browser-storage';
import { SearchIndex, type SearchHit } from '../../search/search-index';
import { progressValue, type AppContext, type TaskView } from '../context';
import { formatMs, h } from '../dom';
import type { LoadedModel } from '../model-info';
import { clearError, showError } from '../status';
import type { IndexRequest, WorkerReply } from '../search-worker';
import { parseVtt, sampleVideo } from './search-video';

const TOP_K = 8;
const RERANK = 8;
const BATCH = 8;
/** Typing pauses this long before a search starts. */
const TYPING_MS = 250;

export function searchView(ctx: AppContext): TaskView {
  let model: LoadedModel | null = null;
  let index: SearchIndex | null = null;
  /** The stored index `index` was read from (the name field may have been edited since). */
  let opened = '';
  let worker: Worker | null = null;
  const thumbs = new Map<string, string>();

  const name = h('input', {
    testid: 'search-index-name',
    attrs: { id: 'search-index-name', type: 'text', value: 'My pictures', autocomplete: 'off' },
  });
  const files = h('input', {
    testid: 'search-files-input',
    attrs: { type: 'file', accept: 'image/*', multiple: true, 'aria-label': 'Add pictures' },
  });
  const folder = h('input', {
    testid: 'search-folder-input',
    attrs: { type: 'file', webkitdirectory: true, multiple: true, 'aria-label': 'Add a folder' },
  });
  const videoInput = h('input', {
    testid: 'search-video-input',
    attrs: { type: 'file', accept: 'video/*,.vtt,text/vtt', multiple: true, 'aria-label': 'Add a video' },
  });
  const every = h('input', {
    testid: 'search-video-interval',
    attrs: { id: 'search-video-interval', type: 'number', min: 0.5, step: 0.5, value: 2, class: 'narrow' },
  });
  const progress = h('progress', { testid: 'search-progress', attrs: { max: 1, value: 0 } });
  const progressLabel = h('span', { class: 'muted small', testid: 'search-progress-label' });
  const cancel = h('button', {
    class: 'button ghost',
    testid: 'search-cancel',
    text: 'Cancel',
    attrs: { type: 'button', hidden: true },
    on: { click: () => worker?.postMessage({ type: 'cancel' }) },
  });
  const stored = h('ul', { class: 'stored-list', testid: 'search-indexes', attrs: { 'aria-label': 'Stored indexes' } });
  const query = h('input', {
    testid: 'search-query',
    attrs: {
      id: 'search-query',
      type: 'search',
      autocomplete: 'off',
      placeholder: 'Describe a picture, e.g. a red circle',
    },
  });
  const button = h('button', {
    class: 'button primary',
    testid: 'search-button',
    text: 'Search',
    attrs: { type: 'submit' },
  });
  const example = h('input', {
    testid: 'search-example-input',
    attrs: { type: 'file', accept: 'image/*', 'aria-label': 'Search by example picture' },
  });
  const note = h('p', { class: 'muted small', testid: 'search-note', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'search-results', attrs: { 'aria-label': 'Search results' } });
  const video = h('video', { testid: 'search-video', attrs: { controls: true, hidden: true, muted: true } });
  const form = h(
    'form',
    { class: 'ask' },
    h('label', { class: 'field-label', text: 'Index', attrs: { for: 'search-index-name' } }),
    h('div', { class: 'input-row' }, name),
    stored,
    h(
      'div',
      { class: 'input-row' },
      h('label', { class: 'button secondary file-button' }, 'Add pictures…', files),
      h('label', { class: 'button secondary file-button' }, 'Add a folder…', folder),
      h('label', { class: 'button secondary file-button' }, 'Add a video (and .vtt)…', videoInput),
      h('label', { class: 'muted small', attrs: { for: 'search-video-interval' } }, 'a frame every (s) ', every),
    ),
    h('div', { class: 'input-row' }, progress, progressLabel, cancel),
    h('label', { class: 'field-label', text: 'Search', attrs: { for: 'search-query' } }),
    h('div', { class: 'input-row' }, query, button),
    h(
      'div',
      { class: 'input-row' },
      h('label', { class: 'button secondary file-button' }, 'Search by picture…', example),
    ),
    h('p', {
      class: 'muted small',
      text: `Pictures are encoded in a background worker and kept in this browser only. Results come in ITC order as you type; the best ${RERANK} are then re-ranked by ITM.`,
    }),
  );
  const panel = h('div', { class: 'view' }, form, h('div', { class: 'results' }, note, results, video));

  async function refreshList(): Promise<StoredIndex[]> {
    const list = (await listIndexes()).sort((a, b) => b.updated - a.updated);
    stored.replaceChildren(
      ...list.map((s) =>
        h(
          'li',
          { testid: 'search-index', attrs: { 'data-name': s.name, 'data-entries': String(s.entries) } },
          h('button', {
            class: 'button ghost',
            text: `${s.name} · ${s.entries} entries`,
            attrs: { type: 'button', title: `made by ${s.model}` },
            on: { click: () => void open(s.name) },
          }),
          h('button', {
            class: 'button ghost',
            text: 'Delete',
            attrs: { type: 'button', 'aria-label': `Delete the index ${s.name}` },
            on: { click: () => void remove(s.name) },
          }),
        ),
      ),
    );
    return list;
  }

  async function remove(indexName: string): Promise<void> {
    try {
      await deleteIndex(indexName);
      if (opened === indexName) {
        index = null;
        results.replaceChildren();
      }
      await refreshList();
    } catch (e) {
      showError(e, `Deleting the index ${indexName}`);
    }
  }

  async function open(indexName: string): Promise<void> {
    name.value = indexName;
    index = null;
    results.replaceChildren();
    delete results.dataset.reranked;
    for (const url of thumbs.values()) URL.revokeObjectURL(url);
    thumbs.clear();
    const bytes = await readIndex(indexName);
    if (!bytes || !model) return;
    try {
      index = await SearchIndex.load(bytes, model.model, indexName);
      opened = indexName;
      panel.dataset.entries = String(index.size);
      note.textContent = `${indexName}: ${index.size} entries.`;
    } catch (e) {
      showError(e, `Opening the index ${indexName}`);
    }
  }

  function startWorker(req: IndexRequest): Promise<void> {
    worker ??= new Worker(new URL('../search-worker.ts', import.meta.url), { type: 'module' });
    const w = worker;
    cancel.hidden = false;
    progress.value = 0;
    progressLabel.textContent = 'starting the indexing worker…';
    const started = performance.now();
    return new Promise((resolve) => {
      w.onmessage = (ev: MessageEvent<WorkerReply>) => {
        const r = ev.data;
        if (r.type === 'progress') {
          progress.value = progressValue(r);
          progress.dataset.done = String(r.done);
          progress.dataset.total = String(r.total);
          if (r.pass) progress.dataset.pass = `${r.pass.done}/${r.pass.total}`;
          else delete progress.dataset.pass;
          const pass = r.pass ? ` (pass: ${r.pass.done} of ${r.pass.total} steps)` : '';
          progressLabel.textContent = `${r.done} of ${r.total} indexed${pass} · ${formatMs(performance.now() - started)}`;
          return;
        }
        cancel.hidden = true;
        if (r.type === 'done') {
          const failed = r.summary.failed.length;
          progressLabel.textContent =
            `${r.summary.added} added, ${r.summary.skipped} already indexed` +
            (failed ? `, ${failed} unreadable (${r.summary.failed.map((f) => f.id).join(', ')})` : '') +
            ` · ${r.entries} entries`;
        } else if (r.cancelled) {
          progressLabel.textContent = 'cancelled: what was finished is kept; add the same files again to resume';
        } else {
          showError(r.message, 'Indexing');
        }
        void refreshList()
          .then(() => open(req.index))
          .then(resolve);
      };
      w.postMessage(req);
    });
  }

  function request(items: IndexRequest['items']): IndexRequest | undefined {
    const source = model?.model.source ?? '';
    if (!model) {
      showError('no model is loaded — load one in the Model panel', 'Indexing');
      return undefined;
    }
    if (!/^https?:/.test(source)) {
      showError(
        new UsageError(
          `indexing runs in a worker that loads the model by URL; ${model.name} was not loaded from one (load it from a URL, or use the demo)`,
        ),
        'Indexing',
      );
      return undefined;
    }
    clearError();
    const indexName = name.value.trim() || 'My pictures';
    name.value = indexName;
    return {
      type: 'index',
      index: indexName,
      modelUrl: source,
      imagePreprocess: model.model.imagePreprocess,
      batchSize: BATCH,
      items,
    };
  }

  const addFiles = (list: File[]) => {
    const req = request(list.map((f) => ({ id: f.webkitRelativePath || f.name, blob: f })));
    if (req) void startWorker(req);
  };
  files.addEventListener('change', () => {
    addFiles([...(files.files ?? [])]);
    files.value = '';
  });
  folder.addEventListener('change', () => {
    addFiles([...(folder.files ?? [])].filter((f) => f.type.startsWith('image/')));
    folder.value = '';
  });
  panel.addEventListener('dragover', (ev) => ev.preventDefault());
  panel.addEventListener('drop', (ev) => {
    ev.preventDefault();
    addFiles([...(ev.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/')));
  });

  videoInput.addEventListener('change', () => void addVideo());
  async function addVideo(): Promise<void> {
    const picked = [...(videoInput.files ?? [])];
    videoInput.value = '';
    const clip = picked.find((f) => !f.name.toLowerCase().endsWith('.vtt'));
    const vtt = picked.find((f) => f.name.toLowerCase().endsWith('.vtt'));
    const interval = Number(every.value);
    try {
      if (!clip) throw new UsageError('pick a video (and, if you have one, its .vtt transcript)');
      if (!(interval > 0)) throw new UsageError(`the frame interval must be a positive number of seconds`);
      const req = request([]);
      if (!req) return;
      progressLabel.textContent = `sampling ${clip.name}…`;
      const cues = vtt ? parseVtt(await vtt.text(), vtt.name) : [];
      const frames = await sampleVideo(clip, cues, interval, {
        onProgress: (done, total) => (progressLabel.textContent = `sampling ${clip.name}: ${done} of ${total} frames`),
      });
      const videoId = `video:${clip.name}`;
      await putMedia(req.index, videoId, clip);
      req.items = frames.map((f) => ({
        id: f.id,
        blob: f.blob,
        text: f.text,
        meta: { video: videoId, start: f.start, end: f.end },
      }));
      await startWorker(req);
    } catch (e) {
      showError(e, 'Adding a video');
    }
  }

  async function thumb(entryId: string): Promise<string | undefined> {
    if (!thumbs.has(entryId)) {
      const blob = await getMedia(opened, entryId);
      if (blob) thumbs.set(entryId, URL.createObjectURL(blob));
    }
    return thumbs.get(entryId);
  }

  async function render(hits: SearchHit[], reranked: boolean): Promise<void> {
    const rows = await Promise.all(
      hits.map(async (hit, rank) => {
        const meta = hit.entry.meta ?? {};
        const start = typeof meta.start === 'number' ? meta.start : undefined;
        const videoId = typeof meta.video === 'string' ? meta.video : '';
        const moved = reranked && hit.rerank !== undefined ? hit.itcRank - rank : 0;
        const change =
          !reranked || hit.rerank === undefined
            ? ''
            : moved
              ? ` · ${moved > 0 ? '↑' : '↓'}${Math.abs(moved)} from ITC #${hit.itcRank + 1}`
              : ' · as by ITC';
        const label = start === undefined ? hit.id : `${videoId.replace(/^video:/, '')} at ${start} s`;
        const url = await thumb(hit.id);
        return h(
          'li',
          {
            class: `bar-row${rank === 0 ? ' top' : ''}`,
            testid: 'search-result',
            attrs: {
              'data-id': hit.id,
              'data-itc-rank': String(hit.itcRank),
              ...(start !== undefined && { 'data-start': String(start), tabindex: 0, role: 'button' }),
            },
            on: start === undefined ? {} : { click: () => void play(videoId, start) },
          },
          url ? h('img', { class: 'bar-thumb', attrs: { src: url, alt: '' } }) : null,
          h(
            'div',
            { class: 'bar-body' },
            h(
              'div',
              { class: 'bar-head' },
              h('span', { class: 'bar-label', text: label }),
              h('span', {
                class: 'bar-value',
                text: `ITC ${hit.itc.toFixed(3)}${hit.rerank !== undefined ? ` · ITM ${(hit.rerank * 100).toFixed(1)}%` : ''}${change}`,
              }),
            ),
            hit.entry.text ? h('span', { class: 'muted small', text: hit.entry.text }) : null,
          ),
        );
      }),
    );
    results.replaceChildren(...rows);
    results.dataset.reranked = String(reranked);
  }

  async function play(videoId: string, start: number): Promise<void> {
    const blob = await getMedia(opened, videoId);
    if (!blob) return showError(`the video of this result is no longer stored`, 'Playing');
    if (video.dataset.video !== videoId) {
      if (video.src) URL.revokeObjectURL(video.src);
      video.src = URL.createObjectURL(blob);
      video.dataset.video = videoId;
    }
    video.hidden = false;
    video.currentTime = start;
    video.addEventListener('seeked', () => (video.dataset.seekedTo = String(video.currentTime)), { once: true });
    await video.play().catch(() => {});
  }

  let typed = 0;
  function search(): void {
    const q = query.value.trim();
    const current = index;
    const seq = ++typed;
    if (!q) return;
    if (!current) {
      showError('index some pictures first, or open a stored index', 'Searching');
      return;
    }
    void ctx.run(button, 'Searching', async (_m, run) => {
      if (seq !== typed) return;
      const t0 = performance.now();
      await render(await current.searchText(q, { topK: TOP_K, rerank: 0 }), false);
      note.textContent = `${current.size} entries ranked by ITC in ${formatMs(performance.now() - t0)}.`;
      if (!current.reranker || seq !== typed) return;
      const hits = await current.searchText(q, {
        topK: TOP_K,
        rerank: RERANK,
        pictures: async (e) => {
          const blob = await getMedia(opened, e.id);
          if (!blob) throw new BridgeTowerError('search', `the thumbnail of ${e.id} is no longer stored`);
          return blob;
        },
        signal: run.signal,
        onProgress: run.onProgress,
      });
      if (seq !== typed) return;
      await render(hits, true);
      note.textContent = `${current.size} entries; the best ${RERANK} by ITC re-ranked by ${current.reranker === 'itm' ? 'ITM' : 'the cross-modal embedding'} in ${formatMs(performance.now() - t0)}.`;
    });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  query.addEventListener('input', () => {
    delete results.dataset.reranked;
    clearTimeout(timer);
    timer = setTimeout(search, TYPING_MS);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    search();
  });
  example.addEventListener('change', () => {
    const f = example.files?.[0];
    example.value = '';
    const current = index;
    if (!f || !current) return;
    void ctx.run(button, 'Searching by picture', async () => {
      await render(await current.searchImage(f, { topK: TOP_K }), false);
      note.textContent = `Entries most like ${f.name} (ITC image to image).`;
    });
  });

  return {
    id: 'search',
    title: 'Search',
    heads: ['itc'],
    panel,
    setModel(m) {
      model = m;
      index = null;
      results.replaceChildren();
      if (!m) return;
      void refreshList()
        .then((list) => (list.length ? open(list[0].name) : undefined))
        .catch((e: unknown) => showError(e, 'Reading the stored indexes'));
    },
  };
}
