// The model panel's one job at a time (a load or a conversion): its progress box, with a bar counting bytes and
// tensors and a Cancel button, and the error shown beside the load controls when a job fails.
import type { LoadProgress } from '../tasks/types';
import { byTestId, formatBytes } from './dom';
import { clearError, showError } from './status';

export class JobProgress {
  /** The job in progress; Cancel aborts it. */
  private job: AbortController | null = null;
  readonly box = byTestId('progress-box');
  private readonly bar = byTestId<HTMLProgressElement>('progress');
  private readonly label = byTestId('progress-label');
  private readonly detail = byTestId('progress-detail');
  private readonly loadError = byTestId('load-error');

  constructor() {
    byTestId('cancel-button').addEventListener('click', () => this.cancel());
  }

  get running(): boolean {
    return this.job !== null;
  }

  cancel(): void {
    this.job?.abort();
  }

  /** A failure in the banner, and the same words beside the load controls until the next job starts. */
  fail(e: unknown, context: string): void {
    showError(e, context);
    this.loadError.textContent = byTestId('error').textContent;
    this.loadError.hidden = false;
  }

  /** Cancel the job in progress and start `what` in its place. */
  start(what: string): AbortController {
    this.cancel();
    const controller = new AbortController();
    this.job = controller;
    clearError();
    this.loadError.hidden = true;
    this.box.hidden = false;
    this.bar.removeAttribute('value');
    this.label.textContent = what;
    this.detail.textContent = 'Starting…';
    return controller;
  }

  /** False when `controller`'s job is no longer the one in progress (cancelled and replaced). */
  end(controller: AbortController): boolean {
    if (this.job !== controller) return false;
    this.job = null;
    this.box.hidden = true;
    return true;
  }

  showLoad(p: LoadProgress): void {
    if (p.phase === 'compile') {
      this.bar.value = p.totalTensors > 0 ? p.tensors / p.totalTensors : 0;
      this.detail.textContent = `Compiling shaders: ${p.tensors} of ${p.totalTensors} pipelines`;
      return;
    }
    const verb = { read: 'Reading weights', convert: 'Converting', upload: 'Uploading to the GPU' }[p.phase];
    this.show(verb, p.loadedBytes, p.totalBytes, p.tensors, p.totalTensors);
  }

  show(verb: string, bytes: number, totalBytes: number, tensors: number, totalTensors: number): void {
    // Bytes when their total is known, else tensors; an indeterminate bar while neither total is.
    if (totalBytes > 0) this.bar.value = Math.min(1, bytes / totalBytes);
    else if (totalTensors > 0) this.bar.value = Math.min(1, tensors / totalTensors);
    else this.bar.removeAttribute('value');
    this.bar.dataset.bytes = String(bytes);
    this.bar.dataset.tensors = String(tensors);
    const parts = [totalBytes > 0 ? `${formatBytes(bytes)} of ${formatBytes(totalBytes)}` : formatBytes(bytes)];
    if (totalTensors > 0) parts.push(`${tensors} of ${totalTensors} tensors`);
    this.detail.textContent = `${verb}: ${parts.join(' · ')}`;
  }
}
