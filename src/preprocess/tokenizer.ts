// RoBERTa / GPT-2 byte-level BPE, as Hugging Face's RobertaTokenizer encodes (add_prefix_space=False):
// special tokens split out of the text first (`<mask>` also swallows the whitespace before it, HF's lstrip),
// then the GPT-2 pre-tokenisation regex, UTF-8 bytes mapped through bytes_to_unicode, merges applied by rank,
// ids looked up in vocab.json, `<s> … </s>` around the result.
import { TokenizerError } from '../errors';
import type { TokenizerFiles } from '../common/weight-set';
import {
  parseAddedTokens,
  parseMergesTxt,
  parseTokenizerJson,
  parseVocabJson,
  type AddedToken,
} from '../checkpoint/tokenizer-files';
import { untrusted } from '../common/untrusted';

/**
 * GPT-2's pattern. `\s` is spelt `\p{White_Space}` because JS's `\s` also matches U+FEFF and misses U+0085,
 * unlike the Unicode White_Space class the reference tokenizers use.
 */
const PRETOKENIZE =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

export type { AddedToken };

export interface TokenizerOptions {
  /** Tokens split out of the text before BPE. Default: RoBERTa's five specials found in the vocab. */
  addedTokens?: AddedToken[];
  /** Prepend a space to the text (tokenizer.json `add_prefix_space`); RoBERTa's default is false. */
  addPrefixSpace?: boolean;
}

export interface EncodedBatch {
  /** Row-major [B, L] ids, each row padded on the right with `<pad>`. */
  inputIds: Int32Array;
  /** [B, L]: 1 for real tokens, 0 for pads. */
  attentionMask: Int32Array;
  batch: number;
  length: number;
}

/** GPT-2's bijection from the 256 byte values to printable code points. */
function bytesToUnicode(): string[] {
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}

const BYTE_TO_CHAR = bytesToUnicode();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** Defaults of HF's RobertaTokenizer: only `<mask>` strips the whitespace on its left. */
const ROBERTA_SPECIALS: ReadonlyArray<[string, boolean]> = [
  ['<s>', false],
  ['</s>', false],
  ['<pad>', false],
  ['<unk>', false],
  ['<mask>', true],
];

export class RobertaTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number | undefined;
  readonly maskId: number | undefined;
  private readonly vocab: Map<string, number>;
  private readonly idToToken: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly addedTokens: AddedToken[];
  /** Added tokens by their first character, longest first: the split looks only at those that can match. */
  private readonly addedByFirst = new Map<string, AddedToken[]>();
  private readonly addPrefixSpace: boolean;

  constructor(files: TokenizerFiles, options: TokenizerOptions = {}) {
    this.vocab = new Map();
    for (const [token, id] of Object.entries(files.vocab)) {
      if (!Number.isSafeInteger(id) || id < 0)
        throw new TokenizerError(
          `vocab: token ${untrusted(token)} has id ${untrusted(id)}, not a non-negative integer`,
        );
      this.vocab.set(token, id);
      this.idToToken[id] = token;
    }
    files.merges.forEach((line, rank) => {
      const parts = line.split(' ');
      if (parts.length !== 2 || !parts[0] || !parts[1])
        throw new TokenizerError(`merges: rank ${rank} is ${untrusted(line)}, expected "left right"`);
      const key = `${parts[0]} ${parts[1]}`;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    const special = (t: string): number => {
      const id = this.vocab.get(t);
      if (id === undefined) throw new TokenizerError(`vocab has no ${t} token`);
      return id;
    };
    this.bosId = special('<s>');
    this.eosId = special('</s>');
    this.padId = special('<pad>');
    this.unkId = this.vocab.get('<unk>');
    this.maskId = this.vocab.get('<mask>');
    this.addedTokens =
      options.addedTokens ??
      ROBERTA_SPECIALS.flatMap(([content, lstrip]) => {
        const id = this.vocab.get(content);
        return id === undefined ? [] : [{ content, id, lstrip, rstrip: false }];
      });
    for (const t of this.addedTokens) {
      // Callers may build options by hand: an empty token would match everywhere and never advance.
      if (typeof t.content !== 'string' || t.content.length === 0 || this.idToToken[t.id] === undefined)
        throw new TokenizerError(
          `added token ${untrusted(t.content)} (id ${untrusted(t.id)}) is empty or not in the vocabulary`,
        );
      const first = t.content[0];
      const list = this.addedByFirst.get(first) ?? [];
      list.push(t);
      this.addedByFirst.set(first, list);
    }
    for (const list of this.addedByFirst.values()) list.sort((a, b) => b.content.length - a.content.length);
    this.addPrefixSpace = options.addPrefixSpace ?? false;
  }

  /** From the text of vocab.json and merges.txt. */
  static fromVocabMerges(
    vocabJson: string,
    mergesTxt: string,
    vocabFile = 'vocab.json',
    mergesFile = 'merges.txt',
  ): RobertaTokenizer {
    return new RobertaTokenizer({
      vocab: parseVocabJson(vocabJson, vocabFile),
      merges: parseMergesTxt(mergesTxt, mergesFile),
    });
  }

  /** From the text of a Hugging Face tokenizer.json with a BPE model. */
  static fromTokenizerJson(text: string, file = 'tokenizer.json'): RobertaTokenizer {
    return new RobertaTokenizer(parseTokenizerJson(text, file), tokenizerJsonOptions(text, file));
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** The BPE token ids of `text`, without `<s>`/`</s>`. Special tokens written in the text become their ids. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const piece of this.splitAddedTokens(this.addPrefixSpace ? ` ${text}` : text)) {
      if (typeof piece === 'number') {
        ids.push(piece);
        continue;
      }
      for (const m of piece.matchAll(PRETOKENIZE)) ids.push(...this.bpe(m[0]));
    }
    return ids;
  }

  /** `<s> tokens </s>`; past `maxLength`, the first maxLength-1 ids then `</s>`. */
  encode(text: string, maxLength?: number): number[] {
    if (maxLength !== undefined && (!Number.isSafeInteger(maxLength) || maxLength < 2)) {
      throw new TokenizerError(`max length must be an integer >= 2 (room for <s> and </s>), got ${maxLength}`);
    }
    const ids = [this.bosId, ...this.tokenize(text), this.eosId];
    if (maxLength !== undefined && ids.length > maxLength) return [...ids.slice(0, maxLength - 1), this.eosId];
    return ids;
  }

  /** Encode each text and pad on the right to the longest (or to `padTo`, if longer). */
  encodeBatch(texts: readonly string[], maxLength?: number, padTo = 0): EncodedBatch {
    const rows = texts.map((t) => this.encode(t, maxLength));
    const length = Math.max(padTo, ...rows.map((r) => r.length));
    const inputIds = new Int32Array(rows.length * length).fill(this.padId);
    const attentionMask = new Int32Array(rows.length * length);
    rows.forEach((r, b) => {
      inputIds.set(r, b * length);
      attentionMask.fill(1, b * length, b * length + r.length);
    });
    return { inputIds, attentionMask, batch: rows.length, length };
  }

  /** The vocabulary string of an id (`Ġ`-style byte symbols), e.g. for showing fill-mask candidates. */
  idToTokenString(id: number): string | undefined {
    return this.idToToken[id];
  }

  /** Text of the given ids: byte symbols back to UTF-8; special tokens are dropped. */
  decode(ids: readonly number[]): string {
    const special = new Set(this.addedTokens.map((t) => t.id));
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.idToToken[id];
      if (token === undefined || special.has(id)) continue;
      for (const ch of token) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b !== undefined) bytes.push(b);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }

  /** Split `text` around added tokens (longest match first), applying their lstrip/rstrip to the neighbours. */
  private splitAddedTokens(text: string): Array<string | number> {
    if (this.addedTokens.length === 0) return [text];
    const out: Array<string | number> = [];
    let start = 0;
    let pos = 0;
    while (pos < text.length) {
      const hit = this.addedByFirst.get(text[pos])?.find((t) => text.startsWith(t.content, pos));
      if (!hit) {
        pos++;
        continue;
      }
      let before = text.slice(start, pos);
      if (hit.lstrip) before = before.replace(/\p{White_Space}+$/u, '');
      if (before) out.push(before);
      out.push(hit.id);
      pos += hit.content.length;
      if (hit.rstrip) while (pos < text.length && /\p{White_Space}/u.test(text[pos])) pos++;
      start = pos;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  }

  /** Byte-level BPE of one pre-token: merge the lowest-ranked adjacent pair, everywhere, until none is left. */
  private bpe(piece: string): number[] {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    let word = Array.from(new TextEncoder().encode(piece), (b) => BYTE_TO_CHAR[b]);
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = [word[best], word[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(word[i]);
      }
      word = merged;
    }
    const ids = word.map((symbol) => {
      const id = this.vocab.get(symbol) ?? this.unkId;
      if (id === undefined)
        throw new TokenizerError(`symbol ${JSON.stringify(symbol)} is not in the vocab and the vocab has no <unk>`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(piece, ids);
    return ids;
  }
}

/** The tokenizer options a Hugging Face tokenizer.json carries besides its vocabulary and merges. */
export function tokenizerJsonOptions(text: string, file = 'tokenizer.json'): TokenizerOptions {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const pre = (json as { pre_tokenizer?: unknown } | null)?.pre_tokenizer;
  const prefix = pre && typeof pre === 'object' ? (pre as { add_prefix_space?: unknown }).add_prefix_space : undefined;
  if (prefix !== undefined && typeof prefix !== 'boolean')
    throw new TokenizerError(`${file}: pre_tokenizer.add_prefix_space is ${untrusted(prefix)}, not true or false`);
  return { addedTokens: parseAddedTokens(json, file), addPrefixSpace: prefix ?? false };
}
