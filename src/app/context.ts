// What every task view shares: the loaded model, the main picture, and one queue that runs tasks one at a
// time (the model owns one GPU device and one command stream) and turns failures into the error banner.
import type { HeadName } from '../tasks/types';
import type { ImageSlot } from './image-slot';
import type { LoadedModel } from './model-panel';
import { clearError, showError } from './status';

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

export class AppContext {
  private current: LoadedModel | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly image: ImageSlot) {}

  get loaded(): LoadedModel | null { return this.current; }

  /** Switch models; the replaced one is freed after the tasks already queued on it have finished. */
  setModel(m: LoadedModel | null): void {
    const previous = this.current;
    this.current = m;
    if (previous && previous !== m) {
      this.queue = this.queue.then(() => previous.model.dispose()).catch((e: unknown) => showError(e, 'Freeing the previous model'));
    }
  }

  /** Queue work that no button waits for (e.g. the model's warm-up); a failure shows `what: message`. */
  background(what: string, fn: (m: LoadedModel) => Promise<unknown>): void {
    const loaded = this.loaded;
    if (!loaded) return;
    // Skipped if another model replaced this one while earlier tasks ran.
    this.queue = this.queue.then(() => (this.loaded === loaded ? fn(loaded) : undefined)).catch((e: unknown) => showError(e, what));
  }

  /**
   * Run `fn` on the loaded model after earlier tasks finish. While it runs, `button` is disabled and marked
   * busy. A failure shows `what: message` and resolves to undefined.
   */
  run<T>(button: HTMLButtonElement, what: string, fn: (m: LoadedModel) => Promise<T>): Promise<T | undefined> {
    const loaded = this.loaded;
    if (!loaded) {
      showError('no model is loaded — load one in the Model panel', what);
      return Promise.resolve(undefined);
    }
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    const job = this.queue.then(async () => {
      clearError();
      try {
        return await fn(loaded);
      } catch (e) {
        showError(e, what);
        return undefined;
      } finally {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    });
    this.queue = job;
    return job;
  }
}
