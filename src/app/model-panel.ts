// The model panel: which model is loaded, and every way to load another one — the bundled demo, a URL of a
// web-format folder, a local folder (web format or an HF model folder), or a .ckpt / .safetensors / .bin
// converted in the page into browser storage — with a progress bar (bytes and tensors), Cancel, and the list
// of models stored in this browser.
import type { Directory } from '../checkpoint/byte-source';
import { WEB_DTYPES, type WebDType } from '../checkpoint/web-format';
import { type ConvertProgress } from '../checkpoint/web-format-write';
import type { WeightSet } from '../common/weight-set';
import {
  deleteStoredModel,
  listStoredModels,
  renameStoredModel,
  openStoredModel,
  requestPersistentStorage,
  storeWeights,
  type StoredModel,
} from '../checkpoint/web-storage-browser';
import { AbortedError, CheckpointError } from '../errors';
import { BridgeTower } from '../tasks';
import type { LoadProgress } from '../tasks/types';
import { byTestId, formatBytes, formatMs, h } from './dom';
import { openCheckpointAsking } from './text-tower';
import { FileListDirectory } from './local-folder';
import { deleteQuestion, freeName, HEAD_NAMES, modelTitle, replaceQuestion, sameWeights } from './stored-names';
import { clearError, isAbort, setStatus, showError, untilAborted } from './status';

/** The demo model, beside the app (vite.config.ts copies weights/demo into the build). */
export const DEMO_URL = new URL('weights/demo/', document.baseURI).href;
/** A hub mirror (or a local imitation of the hub) for the model-id field: `?hubEndpoint=http://…` on the page. */
const HUB_ENDPOINT = new URLSearchParams(location.search).get('hubEndpoint') ?? undefined;

const CHECKPOINT_EXTENSIONS = ['.ckpt', '.safetensors', '.bin', '.pt', '.pth'];
/** What the converter's dtype select says of each web-format dtype (a new dtype must be described here). */
const DTYPE_LABELS: Record<WebDType, string> = {
  f32: 'f32 (exact, 4 bytes a weight)',
  f16: 'f16 (half the size, 2 bytes a weight)',
  q8: 'q8 (¼ the size, near-exact)',
  q4: 'q4 (⅙ the size, some answers change)',
};
/** The weight dtypes a conversion in the page offers (the select is built from this list), first = default. */
export const CONVERT_DTYPES = WEB_DTYPES.map((dtype) => ({ dtype, label: DTYPE_LABELS[dtype] }));

export interface LoadedModel {
  model: BridgeTower;
  /** What the user sees as the model's name. */
  name: string;
  isDemo: boolean;
  loadMs: number;
}

export class ModelPanel {
  private loaded: LoadedModel | null = null;
  /** The load or conversion in progress; Cancel aborts it. */
  private job: AbortController | null = null;
  private readonly listeners: Array<(m: LoadedModel | null) => void> = [];
  private readonly loadingListeners: Array<(done: Promise<void>) => void> = [];
  private readonly progressBox = byTestId('progress-box');
  private readonly progressBar = byTestId<HTMLProgressElement>('progress');
  private readonly progressLabel = byTestId('progress-label');
  private readonly progressDetail = byTestId('progress-detail');
  private readonly info = byTestId('model-info');
  private readonly storedList = byTestId('stored-models');
  private readonly loadError = byTestId('load-error');

  private readonly dtypeSelect = byTestId<HTMLSelectElement>('convert-dtype');
  private stored: StoredModel[] = [];

  constructor() {
    this.dtypeSelect.replaceChildren(
      ...CONVERT_DTYPES.map((d, i) => h('option', { text: d.label, attrs: { value: d.dtype, selected: i === 0 } })),
    );
    byTestId('cancel-button').addEventListener('click', () => this.cancel());
    byTestId('load-demo').addEventListener(
      'click',
      () => void this.loadUrl(DEMO_URL, 'Demo model (synthetic shapes)', true),
    );
    byTestId<HTMLFormElement>('url-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const url = byTestId<HTMLInputElement>('url-input').value.trim();
      if (!url) {
        this.fail('type the URL of a converted model folder (one with manifest.json) first', 'Loading from a URL');
        return;
      }
      let href: string;
      try {
        href = new URL(url, document.baseURI).href;
      } catch {
        this.fail(`"${url}" is not a URL`, 'Loading from a URL');
        return;
      }
      void this.loadUrl(href, url, false);
    });
    byTestId<HTMLFormElement>('hub-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const id = byTestId<HTMLInputElement>('hub-input').value.trim().replace(/^hf:/, '');
      if (id) void this.load(id, false, () => `hf:${id}`);
    });
    const folder = byTestId<HTMLInputElement>('folder-input');
    folder.addEventListener('change', () => {
      if (folder.files?.length) void this.loadFolder([...folder.files]);
      folder.value = '';
    });
    const ckpt = byTestId<HTMLInputElement>('checkpoint-input');
    ckpt.addEventListener('change', () => {
      if (ckpt.files?.length) void this.convert([...ckpt.files]);
      ckpt.value = '';
    });
    const drop = byTestId('checkpoint-drop');
    for (const type of ['dragenter', 'dragover'] as const)
      drop.addEventListener(type, (ev) => {
        ev.preventDefault();
        drop.classList.add('dragging');
      });
    drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('dragging');
      const files = [...(ev.dataTransfer?.files ?? [])];
      if (files.length) void this.convert(files);
    });
  }

  onModel(fn: (m: LoadedModel | null) => void): void {
    this.listeners.push(fn);
  }

  /** Told of each load as it starts, with a promise that settles when it ends (loaded, failed or cancelled). */
  onLoading(fn: (done: Promise<void>) => void): void {
    this.loadingListeners.push(fn);
  }

  /** A failure in the banner, and the same words beside the load controls until the next load starts. */
  private fail(e: unknown, context: string): void {
    showError(e, context);
    this.loadError.textContent = byTestId('error').textContent;
    this.loadError.hidden = false;
  }

  cancel(): void {
    this.job?.abort();
  }

  async loadUrl(url: string, name: string, isDemo: boolean): Promise<void> {
    await this.load(name, isDemo, () => url);
  }

  async loadFolder(files: File[]): Promise<void> {
    const dir = FileListDirectory.fromFiles(files);
    await this.load(dir.name, false, () => dir.loadable());
  }

  async loadStored(m: { key: string; name: string }): Promise<void> {
    await this.load(m.name, false, () => openStoredModel(m.key));
  }

  private startJob(what: string): AbortController {
    this.cancel();
    const controller = new AbortController();
    this.job = controller;
    clearError();
    this.loadError.hidden = true;
    this.progressBox.hidden = false;
    this.progressBar.removeAttribute('value');
    this.progressLabel.textContent = what;
    this.progressDetail.textContent = 'Starting…';
    return controller;
  }

  private endJob(controller: AbortController): boolean {
    if (this.job !== controller) return false;
    this.job = null;
    this.progressBox.hidden = true;
    return true;
  }

  /** `source` runs inside the job, so that opening files fails into the error banner like loading does. */
  private async load(
    name: string,
    isDemo: boolean,
    source: () => string | Directory | Promise<WeightSet>,
  ): Promise<void> {
    const controller = this.startJob(`Loading ${name}`);
    let ended = () => {};
    const done = new Promise<void>((resolve) => (ended = resolve));
    for (const fn of this.loadingListeners) fn(done);
    try {
      await this.loadInJob(name, isDemo, source, controller);
    } finally {
      ended();
    }
  }

  private async loadInJob(
    name: string,
    isDemo: boolean,
    source: () => string | Directory | Promise<WeightSet>,
    controller: AbortController,
  ): Promise<void> {
    // The model in use stays loaded (and usable) until the new one is ready.
    const previous = this.loaded;
    setStatus('loading', name);
    const t0 = performance.now();
    try {
      const loading = BridgeTower.load(await source(), {
        signal: controller.signal,
        hubEndpoint: HUB_ENDPOINT,
        onProgress: (p) => {
          if (!controller.signal.aborted) this.showLoadProgress(p);
        },
      });
      // Cancel answers at once, even while a fetch is in flight; a load that still completes is freed.
      loading.then(
        (m) => {
          if (controller.signal.aborted) m.dispose();
        },
        () => {},
      );
      const model = await untilAborted(loading, controller.signal);
      const loadMs = performance.now() - t0;
      this.endJob(controller);
      this.setModel({ model, name, isDemo, loadMs });
      setStatus('ready', name);
    } catch (e) {
      if (!this.endJob(controller)) return;
      // A stored model deleted in another tab, say: the list shows what is really there.
      void this.refreshStored();
      const still = previous ? `${previous.name} is still loaded` : 'no model is loaded; pick one in the Model panel';
      if (isAbort(e) || controller.signal.aborted) {
        setStatus(previous ? 'ready' : 'cancelled', previous?.name ?? name);
        this.fail(still, `Loading ${name} was cancelled`);
      } else {
        setStatus(previous ? 'ready' : 'error', previous?.name ?? name);
        this.fail(e, `Loading ${name} failed${previous ? ` (${still})` : ''}`);
      }
    }
  }

  private showLoadProgress(p: LoadProgress): void {
    if (p.phase === 'compile') {
      this.progressBar.value = p.totalTensors > 0 ? p.tensors / p.totalTensors : 0;
      this.progressDetail.textContent = `Compiling shaders: ${p.tensors} of ${p.totalTensors} pipelines`;
      return;
    }
    const verb = { read: 'Reading weights', convert: 'Converting', upload: 'Uploading to the GPU' }[p.phase];
    this.showProgress(verb, p.loadedBytes, p.totalBytes, p.tensors, p.totalTensors);
  }

  private showProgress(verb: string, bytes: number, totalBytes: number, tensors: number, totalTensors: number): void {
    // Bytes when their total is known, else tensors; an indeterminate bar while neither total is.
    if (totalBytes > 0) this.progressBar.value = Math.min(1, bytes / totalBytes);
    else if (totalTensors > 0) this.progressBar.value = Math.min(1, tensors / totalTensors);
    else this.progressBar.removeAttribute('value');
    this.progressBar.dataset.bytes = String(bytes);
    this.progressBar.dataset.tensors = String(tensors);
    const parts = [totalBytes > 0 ? `${formatBytes(bytes)} of ${formatBytes(totalBytes)}` : formatBytes(bytes)];
    if (totalTensors > 0) parts.push(`${tensors} of ${totalTensors} tensors`);
    this.progressDetail.textContent = `${verb}: ${parts.join(' · ')}`;
  }

  /**
   * Convert a checkpoint (plus tokenizer / config / labels files picked with it) into browser storage under a key
   * of its own, named from its config and source (stored-names.ts), then load it.
   */
  async convert(files: File[]): Promise<void> {
    const ckpts = files.filter((f) => CHECKPOINT_EXTENSIONS.some((x) => f.name.toLowerCase().endsWith(x)));
    if (ckpts.length !== 1) {
      const why = ckpts.length
        ? `${ckpts.length} checkpoints were picked (${ckpts.map((f) => f.name).join(', ')}): convert one at a time`
        : `none of these is a checkpoint: pick a file ending in ${CHECKPOINT_EXTENSIONS.join(', ')} ` +
          '(a folder made by `bridgetower convert` opens with "Open a converted folder")';
      this.fail(new CheckpointError(files.map((f) => f.name).join(', '), why), 'Converting');
      return;
    }
    const ckpt = ckpts[0];
    const dtype = this.dtypeSelect.value as WebDType;
    const controller = this.startJob(`Converting ${ckpt.name}`);
    const previous = this.loaded;
    setStatus('converting', ckpt.name);
    let stored: { key: string; name: string };
    try {
      const weights = await openCheckpointAsking(ckpt, files, this.progressBox, controller.signal);
      try {
        if (controller.signal.aborted) throw new AbortedError('cancelled');
        await requestPersistentStorage();
        await this.refreshStored();
        const name = freeName(modelTitle(weights.config, dtype, ckpt.name), this.stored);
        const { key, identity } = await storeWeights(weights, {
          name,
          dtype,
          source: ckpt.name,
          signal: controller.signal,
          onProgress: (p: ConvertProgress) =>
            this.showProgress('Converting', p.bytes, p.totalBytes, p.tensors, p.totalTensors),
        });
        stored = { key, name: await this.replaceSameWeights({ key, name }, identity) };
      } finally {
        await weights.close();
      }
      if (!this.endJob(controller)) return;
    } catch (e) {
      await this.refreshStored();
      if (!this.endJob(controller)) return;
      setStatus(previous ? 'ready' : isAbort(e) ? 'cancelled' : 'error', previous?.name ?? ckpt.name);
      const kept = 'nothing new was stored; the models already stored are untouched';
      if (isAbort(e) || controller.signal.aborted) this.fail(kept, `Converting ${ckpt.name} was cancelled`);
      else this.fail(e, `Converting ${ckpt.name} failed (${kept})`);
      return;
    }
    await this.refreshStored();
    await this.loadStored(stored);
  }

  /** After a conversion: older copies of the same weights go only if the user says so (the new one takes the name). */
  private async replaceSameWeights(stored: { key: string; name: string }, identity: string): Promise<string> {
    await this.refreshStored();
    const copies = sameWeights(this.stored, stored.key, identity);
    if (!copies.length || !window.confirm(replaceQuestion(copies))) return stored.name;
    for (const m of copies) await deleteStoredModel(m.key);
    await renameStoredModel(stored.key, copies[0].name);
    return copies[0].name;
  }

  async refreshStored(): Promise<void> {
    let models: StoredModel[];
    try {
      models = await listStoredModels();
    } catch (e) {
      this.fail(e, 'Listing the models stored in this browser');
      return;
    }
    this.stored = models;
    this.storedList.replaceChildren(
      ...models.map((m) => {
        const when = m.created ? ` · ${new Date(m.created).toLocaleDateString()}` : '';
        const facts = m.complete
          ? `${m.dtype ?? ''} · ${formatBytes(m.bytes)}${m.source ? ` · from ${m.source}` : ''}${when}`
          : `unfinished conversion${m.source ? ` of ${m.source}` : ''} (cancelled or cut short) · ` +
            `${formatBytes(m.bytes)} used`;
        return h(
          'li',
          {
            class: `stored${m.complete ? '' : ' partial'}`,
            testid: m.complete ? 'stored-model' : 'stored-partial',
            attrs: { 'data-name': m.name, 'data-key': m.key, 'data-dtype': m.dtype ?? '', 'data-bytes': m.bytes },
          },
          h(
            'div',
            { class: 'stored-text' },
            h('span', { class: 'stored-name', text: m.name }),
            h('span', { class: 'muted small', testid: 'stored-facts', text: facts }),
          ),
          m.complete
            ? h('button', {
                class: 'button small',
                testid: 'stored-load',
                text: 'Load',
                attrs: { type: 'button', 'aria-label': `Load ${m.name}` },
                on: { click: () => void this.loadStored(m) },
              })
            : null,
          h('button', {
            class: 'button small ghost',
            testid: 'stored-delete',
            text: 'Delete',
            attrs: { type: 'button', 'aria-label': `Delete ${m.name}` },
            on: { click: () => void this.deleteStored(m) },
          }),
        );
      }),
    );
    byTestId('stored-empty').hidden = models.length > 0;
    const persisted = models.length > 0 && (await navigator.storage?.persisted?.().catch(() => false));
    byTestId('storage-note').hidden = !models.length || !!persisted;
  }

  private async deleteStored(m: StoredModel): Promise<void> {
    if (this.job && !m.complete) {
      this.fail(
        'a conversion is running: cancel it first (this entry may be the one it is writing)',
        `Deleting ${m.name}`,
      );
      return;
    }
    if (m.complete && !window.confirm(deleteQuestion(m))) return;
    try {
      await deleteStoredModel(m.key);
    } catch (e) {
      this.fail(e, `Deleting ${m.name}`);
    }
    await this.refreshStored();
  }

  /** Listeners own the models they are given: the app disposes a replaced one once its queued tasks are done. */
  private setModel(m: LoadedModel | null): void {
    this.loaded = m;
    this.renderInfo();
    for (const fn of this.listeners) fn(m);
  }

  private renderInfo(): void {
    const m = this.loaded;
    if (!m) {
      this.info.replaceChildren(h('p', { class: 'muted', text: 'No model loaded.' }));
      delete this.info.dataset.loadMs;
      return;
    }
    const c = m.model.config;
    const heads = HEAD_NAMES.filter((x) => m.model.hasHead(x));
    const fact = (k: string, v: string) => [h('dt', { text: k }), h('dd', { text: v })];
    this.info.dataset.loadMs = m.loadMs.toFixed(0);
    this.info.replaceChildren(
      h('p', { class: 'model-name', testid: 'model-name', text: m.name }),
      h(
        'dl',
        { class: 'facts' },
        ...fact('Heads', heads.join(', ') || 'none'),
        ...fact(
          'Picture',
          `${c.vision.imageSize}×${c.vision.imageSize}, ${c.vision.patchSize}px patches, ${c.imagePreprocess} preprocessing`,
        ),
        ...fact('Towers', `ViT ${c.vision.layers}×${c.vision.width} · RoBERTa ${c.text.layers}×${c.text.hiddenSize}`),
        ...fact('Cross-modal', `${c.numLayers} layers × ${c.hiddenSize}, ${c.numHeads} heads`),
        ...fact('Computed as', m.model.model.describeDefinitions()),
        ...fact(
          'Answers',
          m.model.labels ? `${m.model.labels.length} labels` : c.heads.vqa ? 'no label list: answers are indices' : '—',
        ),
        ...fact('Loaded in', formatMs(m.loadMs)),
      ),
      hasTokenizer(m.model)
        ? ''
        : h('p', {
            class: 'warning small',
            testid: 'no-tokenizer',
            text:
              'This model came without tokenizer files, so it cannot read questions or captions. Convert the ' +
              "checkpoint again and pick its vocab.json + merges.txt (roberta-base's for the released checkpoints) " +
              'or tokenizer.json with it.',
          }),
    );
  }
}

function hasTokenizer(model: BridgeTower): boolean {
  try {
    return model.tokenizer !== undefined;
  } catch {
    return false;
  }
}
