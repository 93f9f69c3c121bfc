import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMergesTxt } from '../../src/checkpoint/tokenizer-files';
import { RobertaTokenizer, tokenizerJsonOptions } from '../../src/preprocess/tokenizer';
import { TokenizerError } from '../../src/errors';

const dir = new URL('../fixtures/demo-model/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const tokenizer = RobertaTokenizer.fromVocabMerges(read('vocab.json'), read('merges.txt'));
const vocab = JSON.parse(read('vocab.json')) as Record<string, number>;
const MAX_TEXT_LEN = 24;

describe('RobertaTokenizer on the demo model files', () => {
  const cases = JSON.parse(read('tokenizer_cases.json')) as Array<{
    text: string;
    tokens: string[];
    ids: number[];
    ids_truncated_24: number[];
  }>;
  it.each(cases.map((c) => [JSON.stringify(c.text), c] as const))('tokenizer_cases %s', (_, c) => {
    expect(tokenizer.encode(c.text)).toEqual(c.ids);
    expect(tokenizer.encode(c.text, MAX_TEXT_LEN)).toEqual(c.ids_truncated_24);
    expect(tokenizer.tokenize(c.text).map((id) => tokenizer.idToTokenString(id))).toEqual(c.tokens);
  });

  it('reproduces input_ids of every eval question and caption', () => {
    const questions = JSON.parse(read('eval/questions.json')) as Array<{ question: string; input_ids: number[] }>;
    const captions = JSON.parse(read('eval/captions.json')) as Array<{ caption: string; input_ids: number[] }>;
    expect(questions.length).toBeGreaterThan(0);
    for (const q of questions) expect(tokenizer.encode(q.question, MAX_TEXT_LEN), q.question).toEqual(q.input_ids);
    for (const c of captions) expect(tokenizer.encode(c.caption, MAX_TEXT_LEN), c.caption).toEqual(c.input_ids);
  });
});

describe('RobertaTokenizer on hand-made cases', () => {
  const enc = (text: string, max?: number) => tokenizer.encode(text, max);
  const byte = (b: number) => 4 + b; // the demo vocab keeps the 256 byte symbols at 4 + byte value

  it('empty string is <s> </s>', () => expect(enc('')).toEqual([0, 2]));

  it('splits multiple, trailing and newline whitespace as GPT-2 does', () => {
    expect(enc('a  b')).toEqual([0, vocab.a, vocab['Ġ'], vocab['Ġb'], 2]);
    expect(enc('red  ')).toEqual([0, vocab.red, vocab['Ġ'], vocab['Ġ'], 2]);
    expect(enc('a\n\nb')).toEqual([0, vocab.a, vocab['Ċ'], vocab['Ċ'], vocab.b, 2]);
  });

  it('encodes emoji, CJK and digits byte by byte when no merge applies', () => {
    const bytes = (s: string) => Array.from(new TextEncoder().encode(s), byte);
    expect(enc('🚀')).toEqual([0, ...bytes('🚀'), 2]);
    expect(enc('東京')).toEqual([0, ...bytes('東京'), 2]);
    expect(enc('2024')).toEqual([0, ...bytes('2024'), 2]);
  });

  it("splits contractions: red're -> red 're", () => {
    expect(enc("red're")).toEqual([0, vocab.red, vocab["'"], vocab.re, 2]);
  });

  it('turns a literal <mask> into the mask id and absorbs the whitespace before it (lstrip)', () => {
    expect(tokenizer.maskId).toBe(vocab['<mask>']);
    expect(enc('what color is the <mask>?')).toEqual([0, 329, 349, 299, 264, vocab['<mask>'], 67, 2]);
    expect(enc('the   <mask>')).toEqual([0, vocab.the, vocab['<mask>'], 2]);
    expect(enc('<mask> circle')).toEqual([0, vocab['<mask>'], vocab['Ġcircle'], 2]);
  });

  it('truncates to max length keeping </s>', () => {
    expect(enc('a b a b a b a b', 5)).toEqual([0, vocab.a, vocab['Ġb'], vocab['Ġa'], 2]);
    expect(() => enc('a', 1)).toThrow(TokenizerError);
  });

  it('pads a batch on the right with <pad> and builds the attention mask', () => {
    const b = tokenizer.encodeBatch(['what color is the circle?', 'red'], MAX_TEXT_LEN);
    expect([b.batch, b.length]).toEqual([2, 8]);
    expect(Array.from(b.inputIds)).toEqual([0, 329, 349, 299, 264, 279, 67, 2, 0, vocab.red, 2, 1, 1, 1, 1, 1]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(tokenizer.encodeBatch(['red'], undefined, 6).inputIds).toEqual(new Int32Array([0, vocab.red, 2, 1, 1, 1]));
  });

  it('decodes ids back to text', () => {
    const text = 'naïve café 東京 🚀 what color?';
    expect(tokenizer.decode(enc(text))).toBe(text);
  });
});

describe('BPE merge order on a hand-made vocabulary', () => {
  const files = {
    vocab: {
      '<s>': 0,
      '<pad>': 1,
      '</s>': 2,
      '<unk>': 3,
      a: 4,
      b: 5,
      Ġ: 6,
      aa: 7,
      ab: 8,
      Ġa: 9,
      aab: 10,
      '<mask>': 11,
    },
    merges: ['a a', 'a b', 'Ġ a', 'aa b'],
  };
  const t = new RobertaTokenizer(files);

  it('merges the lowest rank first, left to right without overlap', () => {
    expect(t.tokenize('aaa')).toEqual([7, 4]);
    expect(t.tokenize('aab')).toEqual([10]);
    expect(t.tokenize(' ab')).toEqual([6, 8]);
    expect(t.tokenize('aaaa')).toEqual([7, 7]);
  });

  it('maps symbols missing from the vocab to <unk>', () => expect(t.tokenize('c')).toEqual([3]));

  it('reads tokenizer.json with either merge format and honours added-token flags', () => {
    for (const merges of [files.merges, files.merges.map((m) => m.split(' '))]) {
      const json = {
        model: { type: 'BPE', vocab: files.vocab, merges },
        added_tokens: [
          { id: 0, content: '<s>' },
          { id: 1, content: '<pad>' },
          { id: 2, content: '</s>' },
          { id: 11, content: '<mask>', lstrip: true, rstrip: true },
        ],
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
      };
      const fromJson = RobertaTokenizer.fromTokenizerJson(JSON.stringify(json));
      expect(fromJson.encode('aab <mask> ab')).toEqual([0, 10, 11, 8, 2]);
    }
    const options = tokenizerJsonOptions(
      JSON.stringify({ model: { vocab: files.vocab, merges: [] }, pre_tokenizer: { add_prefix_space: true } }),
    );
    expect(options.addPrefixSpace).toBe(true);
  });

  it('rejects malformed files with TokenizerError', () => {
    expect(() => new RobertaTokenizer({ vocab: { a: 0 }, merges: [] })).toThrow(/no <s>/);
    expect(() => new RobertaTokenizer({ ...files, merges: ['a'] })).toThrow(TokenizerError);
    expect(() => RobertaTokenizer.fromVocabMerges('{', '')).toThrow(/vocab.json: not valid JSON/);
    expect(() => RobertaTokenizer.fromTokenizerJson('{"model":{"type":"WordPiece"}}')).toThrow(/no BPE model/);
    expect(parseMergesTxt('#version: 0.2\na b\n\n', 'merges.txt')).toEqual(['a b']);
  });
});
