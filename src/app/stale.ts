// Results that no longer belong to the inputs on screen. A view snapshots its inputs when it shows results;
// when any input differs afterwards (another picture, another question), the results carry
// `data-stale="<input>"` and a note says so, until the next result replaces them or the input comes back.
import { h } from './dom';

export interface StaleResults {
  /** Shown above the results. */
  note: HTMLElement;
  /** The inputs on screen now (take it at the click: the user may type while the task runs). */
  inputs(): Record<string, unknown>;
  /** New results, for the inputs taken at the click. */
  answered(inputs: Record<string, unknown>): void;
  /** Compare the inputs on screen with those of the results (call on every input change). */
  check(): void;
  /** The results were cleared. */
  reset(): void;
}

/**
 * `inputs()` names each input and its current value (compared by identity: a picture is its Blob);
 * `what` says what the results are ("answers"); `onStale` hides what must not outlive them (a heatmap).
 */
export function staleResults(
  results: HTMLElement,
  testid: string,
  what: string,
  inputs: () => Record<string, unknown>,
  onStale?: () => void,
): StaleResults {
  const note = h('p', { class: 'stale-note small', testid, attrs: { hidden: true } });
  let snapshot: Record<string, unknown> | null = null;
  return {
    note,
    inputs,
    answered(at) {
      snapshot = at;
      this.check();
    },
    check() {
      const now = inputs();
      const was = results.childElementCount ? snapshot : null;
      const changed = was ? Object.keys(now).find((k) => now[k] !== was[k]) : undefined;
      note.hidden = !changed;
      if (!changed) {
        delete results.dataset.stale;
        return;
      }
      const fresh = results.dataset.stale === undefined;
      results.dataset.stale = changed;
      note.textContent = `These ${what} are for the previous ${changed}; run again for the ${changed} on screen.`;
      if (fresh) onStale?.();
    },
    reset() {
      snapshot = null;
      delete results.dataset.stale;
      note.hidden = true;
    },
  };
}
