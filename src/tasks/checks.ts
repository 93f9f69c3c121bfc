// The checks every public method makes of its arguments before any work starts, each failing with a typed,
// one-line error that names the method and the argument: texts (TextError), images (ImageError), lists and
// options (ArgumentError).
import { untrusted } from '../common/untrusted';
import { AbortedError, ArgumentError, TextError } from '../errors';
import { checkImage } from './images';
import type { HeadName } from './types';

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

const HEAD_NAMES: readonly HeadName[] = ['vqa', 'itm', 'itc', 'mlm', 'nlvr2', 'snli', 'irtr'];

/** One of the heads a checkpoint may have. */
export function checkHeadName(head: unknown): asserts head is HeadName {
  if (!HEAD_NAMES.includes(head as HeadName))
    throw new ArgumentError(`hasHead: ${untrusted(head)} is not a head (heads: ${HEAD_NAMES.join(', ')})`);
}

/** How messages name image `i` of a list: "the image #3", or "the image" when it is the only one. */
export function imageName(images: readonly unknown[], i: number): string {
  return images.length > 1 ? `the image #${i + 1}` : 'the image';
}

/** `list` is an array (of at least one item unless `allowEmpty`); a single text or image is not a list. */
function checkList(method: string, list: unknown, what: string, allowEmpty: boolean): asserts list is unknown[] {
  if (!Array.isArray(list)) {
    const got = typeof list === 'string' ? 'one string: wrap it in [ ]' : `${list === null ? 'null' : typeof list}`;
    throw new ArgumentError(`${method}: ${what} must be an array, got ${got}`);
  }
  if (!allowEmpty && list.length === 0) throw new ArgumentError(`${method}: ${what} is empty (give at least one)`);
}

/** A list of task texts: an array of non-blank strings. */
export function checkTextList(method: string, texts: unknown, allowEmpty = false): asserts texts is string[] {
  checkList(method, texts, 'texts', allowEmpty);
  checkTexts(texts as string[], 'text');
}

/** A list of images, each one of the forms ImageInput allows. */
export function checkImageList(method: string, images: unknown, allowEmpty = false): void {
  checkList(method, images, 'images', allowEmpty);
  images.forEach((image, i) => checkImage(image, `${method}: ${imageName(images, i)}`));
}

/** The options argument: an object (or nothing) whose keys are all among `known`. */
export function checkOptions(method: string, opts: unknown, known: readonly string[]): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw new ArgumentError(`${method}: the options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  const unknown = Object.keys(opts).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new ArgumentError(
      `${method}: unknown option ${unknown.map((k) => untrusted(k)).join(', ')} ` +
        `(it takes ${known.join(', ') || 'none'})`,
    );
  }
  const { signal, onProgress } = opts as { signal?: unknown; onProgress?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new ArgumentError(`${method}: signal must be an AbortSignal`);
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new ArgumentError(`${method}: onProgress must be a function`);
}

/** A count option (topK, rerank): an integer of at least `min`, when given. */
export function checkCount(method: string, name: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ArgumentError(`${method}: ${name} must be an integer of at least ${min}, got ${untrusted(value)}`);
  }
}
