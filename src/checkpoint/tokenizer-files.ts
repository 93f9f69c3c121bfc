// Tokenizer files for the web format: vocab.json + merges.txt (RoBERTa / GPT-2 byte-level BPE), or an HF
// tokenizer.json whose model.vocab and model.merges hold the same data.
import { ConfigError, TokenizerError } from '../errors';
import type { TokenizerFiles } from '../common/weight-set';

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
  for (const [token, id] of Object.entries(x)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0)
      throw new TokenizerError(`${file}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}`);
  }
  return x as Record<string, number>;
}

function checkMerge(line: string, rank: number, file: string): string {
  if (line.split(' ').length !== 2)
    throw new TokenizerError(
      `${file}: merge ${rank} ${JSON.stringify(line)} is not two symbols separated by one space`,
    );
  return line;
}

export function parseVocabJson(text: string, file: string): Record<string, number> {
  return checkVocab(parseJson(text, file), file);
}

/** merges.txt: an optional `#version` line, then one "left right" merge per line, by rank. */
export function parseMergesTxt(text: string, file: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.startsWith('#version')) lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l, i) => checkMerge(l, i, file));
}

export function mergesTxt(merges: string[]): string {
  return `#version: 0.2\n${merges.join('\n')}\n`;
}

/** HF tokenizer.json (BPE model): merges as "a b" strings or as [a, b] pairs. */
export function parseTokenizerJson(text: string, file: string): TokenizerFiles {
  const json = parseJson(text, file) as { model?: { type?: unknown; vocab?: unknown; merges?: unknown } };
  const model = json?.model;
  if (!model || (model.type !== undefined && model.type !== 'BPE'))
    throw new TokenizerError(`${file}: no BPE model in tokenizer.json (model.type ${JSON.stringify(model?.type)})`);
  const vocab = checkVocab(model.vocab, file);
  if (!Array.isArray(model.merges)) throw new TokenizerError(`${file}: model.merges is not a list`);
  const merges = model.merges.map((m: unknown, i: number) => {
    if (typeof m === 'string') return checkMerge(m, i, file);
    if (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string'))
      return checkMerge(`${m[0]} ${m[1]}`, i, file);
    throw new TokenizerError(`${file}: merge ${i} is neither "a b" nor [a, b]`);
  });
  return { vocab, merges };
}

export function parseLabels(text: string, file: string): string[] {
  const x = parseJson(text, file) as unknown;
  // A JSON array of answers, or HF's {"id2label": {"0": ...}} / a bare {"0": ...} map.
  if (Array.isArray(x) && x.every((s) => typeof s === 'string')) return x;
  if (x && typeof x === 'object' && !Array.isArray(x))
    return parseId2label((x as { id2label?: unknown }).id2label ?? x, file);
  throw new ConfigError(`${file}: labels must be a JSON array of strings or an id -> label map`);
}

/** An id -> label map (HF's `id2label`) as the list of labels, every index from 0 given once. */
export function parseId2label(map: unknown, file: string): string[] {
  if (!map || typeof map !== 'object' || Array.isArray(map))
    throw new ConfigError(`${file}: not an id -> label map (${JSON.stringify(map)?.slice(0, 40)})`);
  const entries = Object.entries(map as Record<string, unknown>);
  const out = new Array<string>(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isSafeInteger(i) || i < 0 || i >= entries.length || out[i] !== undefined || typeof v !== 'string')
      throw new ConfigError(
        `${file}: label ${JSON.stringify(k)} -> ${JSON.stringify(v)} is not an index 0..${entries.length - 1} -> string`,
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
