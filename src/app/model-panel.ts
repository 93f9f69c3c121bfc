// The model panel: which model is loaded, and every way to load another one — the bundled demo, a URL of a
// web-format folder, a local folder (web format or an HF model folder), or a .ckpt / .safetensors / .bin
// converted in the page into browser storage — with a progress bar (bytes and tensors), Cancel, and the list
// of models stored in this browser.
import type { Directory } from '../checkpoint/byte-source';
import type { ConvertProgress } from '../checkpoint/web-format';
import type { WeightSet } from '../checkpoint/weight-set';
import {
  convertToBrowserStorage, deleteStoredModel, listStoredModels, openStoredModel, type BrowserConvertOptions, type StoredModel,
} from '../checkpoint/web-storage-browser';
import { parseLabels, parseMergesTxt, parseTokenizerJson, parseVocabJson } from '../checkpoint/tokenizer-files';
import { AbortedError, CheckpointError } from '../errors';
import { BridgeTower } from '../tasks';
import type { HeadName, LoadProgress } from '../tasks/types';
import { byTestId, formatBytes, formatMs, h } from './dom';
import { FileListDirectory } from './local-folder';
import { clearError, isAbort, setStatus, showError } from './status';

/** The demo model, beside the app (vite.config.ts copies weights/demo into the build). */
export const DEMO_URL = new URL('weights/demo/', document.baseURI).href;
/** A hub mirror (or a local imitation of the hub) for the model-id field: `?hubEndpoint=http://…` on the page. */
const HUB_ENDPOINT = new URLSearchParams(location.search).get('hubEndpoint') ?? undefined;

const CHECKPOINT_EXTENSIONS = ['.ckpt', '.safetensors', '.bin', '.pt', '.pth'];
const HEAD_NAMES: HeadName[] = ['vqa', 'itm', 'itc', 'mlm', 'nlvr2', 'snli', 'irtr'];

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
  private readonly progressBox = byTestId('progress-box');
  private readonly progressBar = byTestId<HTMLProgressElement>('progress');
  private readonly progressLabel = byTestId('progress-label');
  private readonly progressDetail = byTestId('progress-detail');
  private readonly info = byTestId('model-info');
  private readonly storedList = byTestId('stored-models');

  constructor() {
    byTestId('cancel-button').addEventListener('click', () => this.cancel());
    byTestId('load-demo').addEventListener('click', () => void this.loadUrl(DEMO_URL, 'Demo model (synthetic shapes)', true));
    byTestId<HTMLFormElement>('url-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const url = byTestId<HTMLInputElement>('url-input').value.trim();
      if (url) void this.loadUrl(new URL(url, document.baseURI).href, url, false);
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
    for (const type of ['dragenter', 'dragover'] as const) drop.addEventListener(type, (ev) => { ev.preventDefault(); drop.classList.add('dragging'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('dragging');
      const files = [...(ev.dataTransfer?.files ?? [])];
      if (files.length) void this.convert(files);
    });
  }

  onModel(fn: (m: LoadedModel | null) => void): void { this.listeners.push(fn); }

  cancel(): void {
    this.job?.abort();
  }

  async loadUrl(url: string, name: string, isDemo: boolean): Promise<void> {
    await this.load(name, isDemo, () => url);
  }

  async loadFolder(files: File[]): Promise<void> {
    const dir = FileListDirectory.fromFiles(files);
    await this.load(dir.name, false, () => dir);
  }

  async loadStored(name: string): Promise<void> {
    await this.load(name, false, () => openStoredModel(name));
  }

  private startJob(what: string): AbortController {
    this.cancel();
    const controller = new AbortController();
    this.job = controller;
    clearError();
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
  private async load(name: string, isDemo: boolean, source: () => string | Directory | Promise<WeightSet>): Promise<void> {
    const controller = this.startJob(`Loading ${name}`);
    this.setModel(null);
    setStatus('loading', name);
    const t0 = performance.now();
    try {
      const loading = BridgeTower.load(await source(), {
        signal: controller.signal,
        hubEndpoint: HUB_ENDPOINT,
        onProgress: (p) => { if (!controller.signal.aborted) this.showLoadProgress(p); },
      });
      // Cancel answers at once, even while a fetch is in flight; a load that still completes is freed.
      loading.then((m) => { if (controller.signal.aborted) m.dispose(); }, () => {});
      const model = await untilAborted(loading, controller.signal);
      const loadMs = performance.now() - t0;
      this.endJob(controller);
      this.setModel({ model, name, isDemo, loadMs });
      setStatus('ready', name);
    } catch (e) {
      if (!this.endJob(controller)) return;
      if (isAbort(e) || controller.signal.aborted) {
        setStatus('cancelled', name);
        showError('no model is loaded; pick one in the Model panel', `Loading ${name} was cancelled`);
      } else {
        setStatus('error', name);
        showError(e, `Loading ${name} failed`);
      }
    }
  }

  private showLoadProgress(p: LoadProgress): void {
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

  /** Convert a checkpoint (plus optional tokenizer / labels files picked with it) into browser storage, then load it. */
  async convert(files: File[]): Promise<void> {
    const ckpt = files.find((f) => CHECKPOINT_EXTENSIONS.some((x) => f.name.toLowerCase().endsWith(x)));
    if (!ckpt) {
      showError(new CheckpointError(files.map((f) => f.name).join(', '),
        `not a checkpoint: expected a file ending in ${CHECKPOINT_EXTENSIONS.join(', ')} (a folder from \`bridgetower convert\` loads with "Open a folder")`), 'Converting');
      return;
    }
    const name = storedName(ckpt.name);
    const controller = this.startJob(`Converting ${ckpt.name}`);
    const previous = this.loaded;
    setStatus('converting', ckpt.name);
    try {
      await convertToBrowserStorage(ckpt, name, await companionFiles(files.filter((f) => f !== ckpt)), (p: ConvertProgress) =>
        this.showProgress('Converting', p.bytes, p.totalBytes, p.tensors, p.totalTensors), controller.signal);
      if (!this.endJob(controller)) return;
      await this.refreshStored();
    } catch (e) {
      if (!this.endJob(controller)) return;
      setStatus(previous ? 'ready' : isAbort(e) ? 'cancelled' : 'error', previous?.name ?? ckpt.name);
      if (isAbort(e) || controller.signal.aborted) showError('nothing was stored', `Converting ${ckpt.name} was cancelled`);
      else showError(e, `Converting ${ckpt.name} failed`);
      return;
    }
    await this.loadStored(name);
  }

  async refreshStored(): Promise<void> {
    let models: StoredModel[];
    try {
      models = await listStoredModels();
    } catch (e) {
      showError(e, 'Listing the models stored in this browser');
      return;
    }
    this.storedList.replaceChildren(...models.map((m) => h('li', { class: 'stored', testid: 'stored-model', attrs: { 'data-name': m.name } },
      h('div', { class: 'stored-text' },
        h('span', { class: 'stored-name', text: m.name }),
        h('span', { class: 'muted small', text: `${formatBytes(m.bytes)}${m.source ? ` · from ${m.source}` : ''}` })),
      h('button', { class: 'button small', testid: 'stored-load', text: 'Load', attrs: { type: 'button', 'aria-label': `Load ${m.name}` }, on: { click: () => void this.loadStored(m.name) } }),
      h('button', {
        class: 'button small ghost', testid: 'stored-delete', text: 'Delete', attrs: { type: 'button', 'aria-label': `Delete ${m.name}` },
        on: { click: () => void this.deleteStored(m.name) },
      }))));
    byTestId('stored-empty').hidden = models.length > 0;
  }

  private async deleteStored(name: string): Promise<void> {
    try {
      await deleteStoredModel(name);
    } catch (e) {
      showError(e, `Deleting ${name}`);
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
      h('dl', { class: 'facts' },
        ...fact('Heads', heads.join(', ') || 'none'),
        ...fact('Picture', `${c.vision.imageSize}×${c.vision.imageSize}, ${c.vision.patchSize}px patches, ${c.imagePreprocess} preprocessing`),
        ...fact('Towers', `ViT ${c.vision.layers}×${c.vision.width} · RoBERTa ${c.text.layers}×${c.text.hiddenSize}`),
        ...fact('Cross-modal', `${c.numLayers} layers × ${c.hiddenSize}, ${c.numHeads} heads`),
        ...fact('Computed as', m.model.model.describeDefinitions()),
        ...fact('Answers', m.model.labels ? `${m.model.labels.length} labels` : c.heads.vqa ? 'no label list: answers are indices' : '—'),
        ...fact('Loaded in', formatMs(m.loadMs))),
      hasTokenizer(m.model) ? '' : h('p', { class: 'warning small', testid: 'no-tokenizer',
        text: 'This model came without tokenizer files, so it cannot read questions or captions. Convert it again with its ' +
          'vocab.json + merges.txt (roberta-base\'s for the released checkpoints) or tokenizer.json.' }));
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('cancelled'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function hasTokenizer(model: BridgeTower): boolean {
  try {
    return model.tokenizer !== undefined;
  } catch {
    return false;
  }
}

/** A stored model's name from its file name: the extension dropped, characters storage refuses replaced. */
function storedName(file: string): string {
  return file.replace(/\.[^.]+$/, '').replace(/[^\w .+-]/g, '-').replace(/^[^\w]+/, '').slice(0, 128) || 'model';
}

/**
 * Files picked with a checkpoint: vocab.json + merges.txt or tokenizer.json (the original checkpoints carry no
 * tokenizer), config.json (HF weights), and any other JSON as the VQA label list.
 */
async function companionFiles(files: File[]): Promise<BrowserConvertOptions> {
  const named = (n: string) => files.find((f) => f.name === n);
  const out: BrowserConvertOptions = {};
  const vocab = named('vocab.json'), merges = named('merges.txt'), tok = named('tokenizer.json'), config = named('config.json');
  if (vocab && merges) out.tokenizer = { vocab: parseVocabJson(await vocab.text(), vocab.name), merges: parseMergesTxt(await merges.text(), merges.name) };
  else if (tok) out.tokenizer = parseTokenizerJson(await tok.text(), tok.name);
  else if (vocab || merges) throw new CheckpointError((vocab ?? merges)!.name, 'a tokenizer needs both vocab.json and merges.txt (or one tokenizer.json)');
  if (config) {
    try {
      out.config = JSON.parse(await config.text());
    } catch (e) {
      throw new CheckpointError(config.name, `not valid JSON (${(e as Error).message})`);
    }
  }
  const labels = files.find((f) => f.name.endsWith('.json') && ![vocab, tok, config].includes(f));
  if (labels) out.labels = parseLabels(await labels.text(), labels.name);
  return out;
}
