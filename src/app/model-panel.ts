// The model panel: which model is loaded, and every way to load another one — the sources in load-sources.ts, a
// checkpoint converted in the page (checkpoint-converter.ts), the models stored in this browser
// (stored-models.ts) — one job at a time, with its progress and Cancel (job-progress.ts).
import { BridgeTower } from '../tasks';
import { openStoredModel } from '../checkpoint/web-storage-browser';
import { CheckpointConverter } from './checkpoint-converter';
import { byTestId } from './dom';
import { JobProgress } from './job-progress';
import { HUB_ENDPOINT, listenForLoadSources, type ModelSource } from './load-sources';
import { renderModelInfo, type LoadedModel } from './model-info';
import { isAbort, setStatus, untilAborted } from './status';
import { StoredModelList } from './stored-models';

export class ModelPanel {
  private loaded: LoadedModel | null = null;
  private readonly listeners: Array<(m: LoadedModel | null) => void> = [];
  private readonly loadingListeners: Array<(done: Promise<void>) => void> = [];
  private readonly info = byTestId('model-info');
  private readonly jobs = new JobProgress();
  private readonly stored = new StoredModelList(this.jobs, (m) => this.loadStored(m));

  constructor() {
    new CheckpointConverter(
      this.jobs,
      this.stored,
      () => this.loaded?.name,
      (m) => this.loadStored(m),
    );
    listenForLoadSources(
      (name, isDemo, source) => this.load(name, isDemo, source),
      (e, context) => this.jobs.fail(e, context),
    );
  }

  onModel(fn: (m: LoadedModel | null) => void): void {
    this.listeners.push(fn);
  }

  /** Told of each load as it starts, with a promise that settles when it ends (loaded, failed or cancelled). */
  onLoading(fn: (done: Promise<void>) => void): void {
    this.loadingListeners.push(fn);
  }

  async loadUrl(url: string, name: string, isDemo: boolean): Promise<void> {
    await this.load(name, isDemo, () => url);
  }

  async refreshStored(): Promise<void> {
    await this.stored.refresh();
  }

  private async loadStored(m: { key: string; name: string }): Promise<void> {
    await this.load(m.name, false, () => openStoredModel(m.key));
  }

  private async load(name: string, isDemo: boolean, source: ModelSource): Promise<void> {
    const controller = this.jobs.start(`Loading ${name}`);
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
    source: ModelSource,
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
          if (!controller.signal.aborted) this.jobs.showLoad(p);
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
      this.jobs.end(controller);
      this.setModel({ model, name, isDemo, loadMs });
      setStatus('ready', name);
    } catch (e) {
      if (!this.jobs.end(controller)) return;
      // A stored model deleted in another tab, say: the list shows what is really there.
      void this.stored.refresh();
      const still = previous ? `${previous.name} is still loaded` : 'no model is loaded; pick one in the Model panel';
      if (isAbort(e) || controller.signal.aborted) {
        setStatus(previous ? 'ready' : 'cancelled', previous?.name ?? name);
        this.jobs.fail(still, `Loading ${name} was cancelled`);
      } else {
        setStatus(previous ? 'ready' : 'error', previous?.name ?? name);
        this.jobs.fail(e, `Loading ${name} failed${previous ? ` (${still})` : ''}`);
      }
    }
  }

  /** Listeners own the models they are given: the app disposes a replaced one once its queued tasks are done. */
  private setModel(m: LoadedModel | null): void {
    this.loaded = m;
    renderModelInfo(this.info, m);
    for (const fn of this.listeners) fn(m);
  }
}
