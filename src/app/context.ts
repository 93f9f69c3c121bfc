// What every task view shares: the loaded model, the main picture, and one queue that runs tasks one at a
// time (the model owns one GPU device and one command stream) and turns failures into the error banner.
// The task under way shows in one progress box (what, items done of total, the steps of the pass under way, time
// since the click) with a Cancel that stops it at the next stage of its forward pass. A task asked while the first model loads is queued
// behind the load and says so.
import type { HeadName, TaskOptions, TaskProgress } from '../tasks/types';
import { byTestId, formatMs } from './dom';
import type { ImageSlot } from './image-slot';
import type { LoadedModel } from './model-info';
import { clearError, isAbort, showError } from './status';

export interface TaskView {
  /** Tab id and data-testid suffix: `tab-<id>`, `view-<id>`. */
  id: string;
  title: string;
  /** Shown only when the model has these heads. */
  heads: HeadName[];
  panel: HTMLElement;
  /** A model was loaded (or unloaded): reset results, refresh suggestions. */
  setModel(m: LoadedModel | null): void;
}

/** What a task gets besides the model: cancel and progress for the task API, and the time of the click. */
export interface TaskRun extends Required<TaskOptions> {
  clickedAt: number;
}

export class AppContext {
  private current: LoadedModel | null = null;
  /** Settles when the load under way ends (null when none is). */
  private loading: Promise<void> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private running: AbortController | null = null;
  private readonly box = byTestId('task-progress-box');
  private readonly bar = byTestId<HTMLProgressElement>('task-progress');
  private readonly label = byTestId('task-progress-label');
  private readonly detail = byTestId('task-progress-detail');
  private readonly cancelButton = byTestId<HTMLButtonElement>('task-cancel');

  constructor(readonly image: ImageSlot) {
    this.cancelButton.addEventListener('click', () => this.running?.abort());
  }

  get loaded(): LoadedModel | null {
    return this.current;
  }

  /** Switch models; the replaced one is freed after the tasks already queued on it have finished. */
  setModel(m: LoadedModel | null): void {
    const previous = this.current;
    this.current = m;
    if (previous && previous !== m) {
      this.queue = this.queue
        .then(() => previous.model.dispose())
        .catch((e: unknown) => showError(e, 'Freeing the previous model'));
    }
  }

  /** A model is loading until `done` settles: a task asked meanwhile without a model waits for it, queued. */
  whileLoading(done: Promise<void>): void {
    const loading = done.then(() => {
      if (this.loading === loading) this.loading = null;
    });
    this.loading = loading;
  }

  /**
   * Run `fn` on the loaded model after earlier tasks finish. While it waits and runs, `button` is disabled and
   * marked busy and the progress box shows `what`. A failure shows `what: message`; a cancel says so; either
   * resolves to undefined.
   */
  run<T>(
    button: HTMLButtonElement,
    what: string,
    fn: (m: LoadedModel, run: TaskRun) => Promise<T>,
  ): Promise<T | undefined> {
    const noModel = 'no model is loaded — load one in the Model panel';
    if (!this.loaded && !this.loading) {
      showError(noModel, what);
      return Promise.resolve(undefined);
    }
    const clickedAt = performance.now();
    const controller = new AbortController();
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    const job = this.queue.then(async () => {
      clearError();
      this.running = controller;
      this.show(what);
      const onProgress = (p: TaskProgress) => this.progress(p, clickedAt);
      try {
        if (!this.loaded && this.loading) {
          this.detail.textContent = 'queued: it runs once the model has loaded';
          await Promise.race([this.loading, aborted(controller.signal)]);
        }
        const loaded = this.loaded;
        if (!loaded) throw new Error(noModel);
        if (controller.signal.aborted) throw new DOMException('cancelled', 'AbortError');
        return await fn(loaded, { signal: controller.signal, onProgress, clickedAt });
      } catch (e) {
        const after = formatMs(performance.now() - clickedAt);
        if (isAbort(e)) showError(`stopped after ${after}; nothing was changed`, `${what} was cancelled`);
        else showError(e, what);
        return undefined;
      } finally {
        this.running = null;
        this.hide();
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    });
    this.queue = job;
    return job;
  }

  private show(what: string): void {
    this.box.hidden = false;
    this.box.dataset.task = 'task';
    this.label.textContent = `${what}…`;
    this.detail.textContent = '';
    this.bar.removeAttribute('value');
    delete this.bar.dataset.done;
    delete this.bar.dataset.total;
    delete this.bar.dataset.pass;
    this.cancelButton.hidden = false;
  }

  private progress(p: TaskProgress, clickedAt: number): void {
    this.bar.value = progressValue(p);
    this.bar.dataset.done = String(p.done);
    this.bar.dataset.total = String(p.total);
    if (p.pass) this.bar.dataset.pass = `${p.pass.done}/${p.pass.total}`;
    else delete this.bar.dataset.pass;
    const pass = p.pass ? ` (pass: ${p.pass.done} of ${p.pass.total} steps)` : '';
    this.detail.textContent = `${p.stage}: ${p.done} of ${p.total}${pass} · ${formatMs(performance.now() - clickedAt)}`;
  }

  private hide(): void {
    this.box.hidden = true;
    delete this.box.dataset.task;
  }
}

/** The share of a task done: its finished items, and the finished steps of the pass under way over its items. */
export function progressValue(p: TaskProgress): number {
  const within = p.pass && p.pass.total ? (p.pass.items * p.pass.done) / p.pass.total : 0;
  return p.total ? Math.min(1, (p.done + within) / p.total) : 0;
}

/** Settles when `signal` aborts (never, if it does not). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
