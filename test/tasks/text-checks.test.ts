// What the task API says about the text it is given: empty text is a TextError at every task, text longer
// than the model reads is answered with `truncatedTo`, and a tokenizer that does not fit the model is refused
// at load time, before any weight reaches the GPU.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMergesTxt, parseVocabJson } from '../../src/checkpoint/tokenizer-files';
import { TextError, TokenizerError } from '../../src/errors';
import type { BridgeTower } from '../../src/tasks';
import { loadBridgeTower } from '../../src/tasks/node';

const image = readFileSync('test/fixtures/demo-model/eval/img-26-96x72.png');
const LONG = 'how many red objects are there in this picture with circles squares and triangles of many colours on it?';

describe('text checks on the demo model', () => {
  let bt: BridgeTower;
  beforeAll(async () => {
    bt = await loadBridgeTower('weights/demo');
  });
  afterAll(() => bt?.dispose());

  it('rejects empty or blank text with a TextError naming it, for every task', async () => {
    await expect(bt.vqa(image, '')).rejects.toThrow(new TextError('the question is empty'));
    await expect(bt.vqa(image, ' \n\t ')).rejects.toThrow(TextError);
    await expect(bt.match(image, ['a red circle', '  '])).rejects.toThrow(new TextError('the text #2 is empty'));
    await expect(bt.retrieveImages('', [image])).rejects.toThrow(TextError);
    await expect(bt.retrieveTexts(image, ['a red circle', ''])).rejects.toThrow(/the text #2 is empty/);
    await expect(bt.crossAttention(image, '')).rejects.toThrow(new TextError('the text is empty'));
  });

  it('reports truncatedTo when a text is longer than the model reads, and only then', async () => {
    expect(bt.tokenizer.encode(LONG).length).toBeGreaterThan(24);
    const long = await bt.vqa(image, LONG);
    expect(long.truncatedTo).toBe(24);
    const short = await bt.vqa(image, 'how many red objects are there?');
    expect(short).not.toHaveProperty('truncatedTo');
    // The cut question is answered exactly as its first 24 tokens would be.
    const cut = bt.tokenizer.decode(bt.tokenizer.encode(LONG, 24).slice(1, -1));
    expect((await bt.vqa(image, cut)).answers).toEqual(long.answers);
    const matched = await bt.match(image, ['a red circle', LONG]);
    expect(matched.map((m) => m.truncatedTo)).toEqual([undefined, 24]);
  });
});

describe('text checks of the heads the demo lacks (fixture models, a vocabulary of the special tokens)', () => {
  const open = { tokenizer: { vocab: { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 63 }, merges: [] } };

  it('rejects empty text for fill-mask, entailment and NLVR2', async () => {
    const tiny = await loadBridgeTower('test/fixtures/tiny/model.ckpt', { open });
    try {
      await expect(tiny.fillMask(image, ' ')).rejects.toThrow(new TextError('the text is empty'));
      await expect(tiny.entailment(image, '')).rejects.toThrow(new TextError('the hypothesis is empty'));
    } finally {
      tiny.dispose();
    }
    const config = JSON.parse(readFileSync('test/fixtures/tiny-nlvr2/manifest.json', 'utf8')).config;
    const nlvr2 = await loadBridgeTower('test/fixtures/tiny-nlvr2/model-hf.safetensors', { open: { ...open, config } });
    try {
      await expect(nlvr2.nlvr2(image, image, '\n')).rejects.toThrow(new TextError('the statement is empty'));
    } finally {
      nlvr2.dispose();
    }
  });
});

describe('a tokenizer that does not fit the model', () => {
  it('is refused at load, naming both sizes', async () => {
    const tokenizer = {
      vocab: parseVocabJson(readFileSync('test/fixtures/demo-model/vocab.json', 'utf8'), 'vocab.json'),
      merges: parseMergesTxt(readFileSync('test/fixtures/demo-model/merges.txt', 'utf8'), 'merges.txt'),
    };
    const load = loadBridgeTower('test/fixtures/tiny/model.ckpt', { open: { tokenizer } });
    await expect(load).rejects.toThrow(TokenizerError);
    await expect(load).rejects.toThrow(
      /the tokenizer's vocabulary \(761 entries\) does not match the model's \(64 rows of word embeddings\)/,
    );
  });
});
