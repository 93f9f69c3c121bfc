// The checks every task makes of its arguments before any work starts, each failing with a typed error.
import { AbortedError, TextError } from '../errors';

/** Every task text must say something: an empty or blank one would be answered as if it were a question. */
export function checkTexts(texts: readonly string[], what: string): void {
  texts.forEach((t, i) => {
    const name = texts.length > 1 ? `the ${what} #${i + 1}` : `the ${what}`;
    if (typeof t !== 'string') throw new TextError(`${name} is not a string`);
    if (t.trim() === '') throw new TextError(`${name} is empty`);
  });
}

export function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError('cancelled');
}

/** Milliseconds for result timings, in browsers and Node. */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
