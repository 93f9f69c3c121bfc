// The header's model status pill and the page's one error banner. Every failure ends up here in words.
import { AbortedError, BridgeTowerError } from '../errors';
import { byTestId } from './dom';

/** The text of data-testid="status"; `ready` means a model is loaded and tasks can run. */
export type ModelState = 'starting' | 'loading' | 'converting' | 'ready' | 'cancelled' | 'error';

export function setStatus(state: ModelState, detail = ''): void {
  const el = byTestId('status');
  el.textContent = state;
  el.dataset.state = state.replace(' ', '-');
  el.title = detail;
}

export function isAbort(e: unknown): boolean {
  return e instanceof AbortedError || (e instanceof DOMException && e.name === 'AbortError');
}

/** `work`, or an AbortedError as soon as `signal` fires (the work itself is left to finish). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new AbortedError('cancelled'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One line for a person: our errors carry their own words; anything else is a bug, said so with its message. */
function errorMessage(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof BridgeTowerError) return browserWords(e.message);
  if (isAbort(e)) return 'cancelled';
  if (e instanceof Error) return `unexpected error (${e.name}): ${e.message}`;
  return `unexpected error: ${String(e)}`;
}

/**
 * Show `context: message` in the error banner (context says what was being done); `e` may be the words
 * themselves. `detail`, for developers, goes in a collapsed part under it.
 */
export function showError(e: unknown, context: string, detail = ''): void {
  const text = `${context}: ${errorMessage(e)}`;
  byTestId('error').textContent = text;
  byTestId('error-detail-text').textContent = detail;
  byTestId('error-detail').hidden = !detail;
  byTestId('error-banner').hidden = false;
  if (e instanceof Error && !(e instanceof BridgeTowerError) && !isAbort(e)) console.error(e);
}

/** Clear the banner, and the copy of a load error beside the load controls. */
export function clearError(): void {
  byTestId('error').textContent = '';
  byTestId('load-error').hidden = true;
  byTestId('error-detail').hidden = true;
  byTestId('error-banner').hidden = true;
}

/** The library's advice in command-line words, and what to do in the page instead. */
const IN_THE_PAGE: Array<[RegExp, string]> = [
  [
    /;? ?convert it with --vocab\/--merges or --tokenizer/,
    ': convert its checkpoint again in the Model panel and pick vocab.json + merges.txt (or tokenizer.json) with it',
  ],
  [/give a config \(--config\)/, 'pick its config.json together with the checkpoint'],
  [/choose one with --image-preprocess/, 'pick a config.json that names one together with the checkpoint'],
];

/** Words for a browser user where the library speaks to developers (CLI flags). */
export function browserWords(message: string): string {
  return IN_THE_PAGE.reduce((m, [cli, page]) => m.replace(cli, page), message);
}
