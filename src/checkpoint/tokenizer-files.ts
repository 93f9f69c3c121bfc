// Tokenizer files for the web format: vocab.json + merges.txt (RoBERTa / GPT-2 byte-level BPE), or an HF
// tokenizer.json whose model.vocab and model.merges hold the same data.
import { ConfigError, TokenizerError } from '../errors';
import type { TokenizerFiles } from '../common/weight-set';
import { beyond, LIMITS } from '../common/limits';
import { untrusted } from '../common/untrusted';

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

function checkVocab(x: unknown, file: string): Record<string, number> {
  if (!x || typeof x !== 'object' || Array.isArray(x))
    throw new TokenizerError(`${file}: the vocabulary is not a JSON object of token -> id`);
  const entries = Object.entries(x);
  if (entries.length > LIMITS.vocabEntries.value)
    throw new TokenizerError(beyond(file, 'vocabEntries', entries.length, 'vocabulary entries'));
  for (const [token, id] of entries) {
    if (!Number.isSafeInteger(id) || (id as number) < 0)
      throw new TokenizerError(`${file}: token ${untrusted(token)} has id ${untrusted(id)}`);
    if ((id as number) >= LIMITS.vocabEntries.value)
      throw new TokenizerError(beyond(file, 'vocabEntries', id as number, `token ${untrusted(token)} id`));
  }
  return x as Record<string, number>;
}

function checkMerge(line: string, rank: number, file: string): string {
  if (line.split(' ').length !== 2)
    throw new TokenizerError(`${file}: merge ${rank} ${untrusted(line)} is not two symbols separated by one space`);
  return line;
}

function checkMergeCount(n: number, file: string): void {
  if (n > LIMITS.merges.value) throw new TokenizerError(beyond(file, 'merges', n, 'merges'));
}

export function parseVocabJson(text: string, file: string): Record<string, number> {
  return checkVocab(parseJson(text, file), file);
}

/** merges.txt: an optional `#version` line, then one "left right" merge per line, by rank. */
export function parseMergesTxt(text: string, file: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.startsWith('#version')) lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  checkMergeCount(lines.length, file);
  return lines.map((l, i) => checkMerge(l, i, file));
}

export function mergesTxt(merges: string[]): string {
  return `#version: 0.2\n${merges.join('\n')}\n`;
}

/** HF tokenizer.json (BPE model): merges as "a b" strings or as [a, b] pairs. Its added tokens are checked too. */
export function parseTokenizerJson(text: string, file: string): TokenizerFiles {
  const json = parseJson(text, file);
  const model = isObject(json) ? json.model : undefined;
  if (!isObject(model) || (model.type !== undefined && model.type !== 'BPE'))
    throw new TokenizerError(
      `${file}: no BPE model in tokenizer.json (model.type ${untrusted(isObject(model) ? model.type : model)})`,
    );
  const vocab = checkVocab(model.vocab, file);
  if (!Array.isArray(model.merges)) throw new TokenizerError(`${file}: model.merges is not a list`);
  checkMergeCount(model.merges.length, file);
  const merges = model.merges.map((m: unknown, i: number) => {
    if (typeof m === 'string') return checkMerge(m, i, file);
    if (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string'))
      return checkMerge(`${m[0]} ${m[1]}`, i, file);
    throw new TokenizerError(`${file}: merge ${i} is neither "a b" nor [a, b]`);
  });
  parseAddedTokens(json, file);
  return { vocab, merges };
}

/** An added (special) token of tokenizer.json; lstrip/rstrip swallow the whitespace beside it. */
export interface AddedToken {
  content: string;
  id: number;
  lstrip: boolean;
  rstrip: boolean;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

/** tokenizer.json's `added_tokens`, each entry checked by type; undefined when the file has none. */
export function parseAddedTokens(json: unknown, file: string): AddedToken[] | undefined {
  const list = isObject(json) ? json.added_tokens : undefined;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new TokenizerError(`${file}: added_tokens is ${untrusted(list)}, not a list`);
  if (list.length > LIMITS.addedTokens.value)
    throw new TokenizerError(beyond(file, 'addedTokens', list.length, 'added_tokens'));
  return list.map((t: unknown, i) => {
    const where = `${file}: added_tokens[${i}]`;
    if (!isObject(t)) throw new TokenizerError(`${where} is ${untrusted(t)}, not an object`);
    const { content, id, lstrip, rstrip } = t;
    if (typeof content !== 'string' || content.length === 0)
      throw new TokenizerError(`${where} has content ${untrusted(content)}, not a non-empty string`);
    if (content.length > LIMITS.addedTokenChars.value)
      throw new TokenizerError(beyond(file, 'addedTokenChars', content.length, `added_tokens[${i}] content`));
    if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= LIMITS.vocabEntries.value)
      throw new TokenizerError(`${where} has id ${untrusted(id)}, not an integer in [0, ${LIMITS.vocabEntries.value})`);
    for (const [k, v] of [
      ['lstrip', lstrip],
      ['rstrip', rstrip],
    ] as const)
      if (v !== undefined && typeof v !== 'boolean')
        throw new TokenizerError(`${where} has ${k} ${untrusted(v)}, not true or false`);
    return { content, id: id as number, lstrip: lstrip === true, rstrip: rstrip === true };
  });
}

export function parseLabels(text: string, file: string): string[] {
  const x = parseJson(text, file);
  // A JSON array of answers, or HF's {"id2label": {"0": ...}} / a bare {"0": ...} map.
  if (Array.isArray(x) && x.every((s) => typeof s === 'string')) return x;
  if (x && typeof x === 'object' && !Array.isArray(x))
    return parseId2label((x as { id2label?: unknown }).id2label ?? x, file);
  throw new ConfigError(`${file}: labels must be a JSON array of strings or an id -> label map`);
}

/** An id -> label map (HF's `id2label`) as the list of labels, every index from 0 given once. */
export function parseId2label(map: unknown, file: string): string[] {
  if (!map || typeof map !== 'object' || Array.isArray(map))
    throw new ConfigError(`${file}: not an id -> label map (${untrusted(map, 60)})`);
  const entries = Object.entries(map as Record<string, unknown>);
  const out = new Array<string>(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isSafeInteger(i) || i < 0 || i >= entries.length || out[i] !== undefined || typeof v !== 'string')
      throw new ConfigError(
        `${file}: label ${untrusted(k)} -> ${untrusted(v)} is not an index 0..${entries.length - 1} -> string`,
      );
    out[i] = v;
  }
  return out;
}

/**
 * A tokenizer fits a model when every id it can produce has a row in the word embeddings. A tokenizer with
 * fewer entries than rows is fine (checkpoints pad the table); one with more is the wrong tokenizer.
 */
export function checkTokenizerFits(tokenizer: TokenizerFiles, embeddingRows: number, where: string): void {
  const ids = Object.values(tokenizer.vocab);
  const maxId = ids.reduce((m, id) => Math.max(m, id), -1);
  if (maxId < embeddingRows) return;
  const entries = ids.length > embeddingRows ? '' : `; its ids go up to ${maxId}`;
  throw new TokenizerError(
    `${where}: the tokenizer's vocabulary (${ids.length} entries) does not match the model's ` +
      `(${embeddingRows} rows of word embeddings)${entries}: use the tokenizer the model was trained with`,
  );
}
