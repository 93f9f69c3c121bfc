// Every public method of the task API, walked with bad arguments: each is refused before any work with its own
// typed error (ArgumentError for lists and options, TextError for texts, ImageError for images, ShapeError for a
// layer), one line naming the method or the argument; never a raw TypeError, never an empty answer in silence.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, BridgeTowerError, ImageError, ShapeError, TextError } from '../../src/errors';
import type { Gpu } from '../../src/gpu/runtime';
import { BridgeTower, loadBridgeTower } from '../../src/tasks/node';
import { testGpu } from '../gpu/node-gpu';

type Bad = [string, () => Promise<unknown>, new (...a: never[]) => BridgeTowerError, RegExp];

const image = readFileSync('test/fixtures/demo-model/eval/img-00.png');
/** The special tokens of the fixtures' 64-id vocabulary: enough to load them, never used for a forward pass. */
const open = { tokenizer: { vocab: { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 63 }, merges: [] } };
const anything = null as never;

let gpu: Gpu;
let demo: BridgeTower;
let tiny: BridgeTower;
let nlvr2: BridgeTower;
let itc: BridgeTower;
beforeAll(async () => {
  gpu = await testGpu();
  demo = await loadBridgeTower('weights/demo', { gpu });
  tiny = await loadBridgeTower('test/fixtures/tiny/model.ckpt', { gpu, open });
  const config = JSON.parse(readFileSync('test/fixtures/tiny-nlvr2/manifest.json', 'utf8')).config;
  nlvr2 = await loadBridgeTower('test/fixtures/tiny-nlvr2/model-hf.safetensors', { gpu, open: { ...open, config } });
  itc = await loadBridgeTower('test/fixtures/hf-itc', { gpu, open });
});
afterAll(() => [demo, tiny, nlvr2, itc].forEach((m) => m?.dispose()));

const cases = (): Bad[] => [
  // BridgeTower.load
  [
    'load: a number',
    () => BridgeTower.load(42 as never, { gpu }),
    ArgumentError,
    /^BridgeTower.load: the source must be .*got number$/,
  ],
  ['load: null', () => BridgeTower.load(anything, { gpu }), ArgumentError, /got null$/],
  ['load: an empty string', () => BridgeTower.load('', { gpu }), ArgumentError, /got an empty string$/],
  [
    'load: options null',
    () => BridgeTower.load(undefined, anything),
    ArgumentError,
    /the options must be an object, got null/,
  ],
  [
    'load: a misspelt option',
    () => BridgeTower.load(undefined, { gpu, dtyp: 'f16' } as never),
    ArgumentError,
    /unknown option "dtyp"/,
  ],
  [
    'load: dtype',
    () => BridgeTower.load(undefined, { gpu, dtype: 'f8' as never }),
    ArgumentError,
    /dtype must be one of f32, f16, q8, q4, got "f8"/,
  ],
  [
    'load: vqaScoring',
    () => BridgeTower.load(undefined, { gpu, vqaScoring: 'max' as never }),
    ArgumentError,
    /vqaScoring must be one of/,
  ],
  [
    'load: imagePreprocess',
    () => BridgeTower.load(undefined, { gpu, imagePreprocess: 'vit' as never }),
    ArgumentError,
    /imagePreprocess must be one of hf, blip, clip/,
  ],
  ['load: gpu', () => BridgeTower.load(undefined, { gpu: {} as never }), ArgumentError, /gpu must be a Gpu/],
  [
    'load: signal',
    () => BridgeTower.load(undefined, { gpu, signal: 'stop' as never }),
    ArgumentError,
    /signal must be an AbortSignal/,
  ],
  [
    'load: onProgress',
    () => BridgeTower.load(undefined, { gpu, onProgress: 1 as never }),
    ArgumentError,
    /onProgress must be a function/,
  ],
  // vqa
  ['vqa: a null image', () => demo.vqa(anything, 'what?'), ImageError, /^vqa: the image is null: an image is bytes/],
  ['vqa: a number for the image', () => demo.vqa(7 as never, 'what?'), ImageError, /the image is a number/],
  [
    'vqa: a plain object for the image',
    () => demo.vqa({} as never, 'what?'),
    ImageError,
    /the image is an object \(Object\)/,
  ],
  ['vqa: an empty path', () => demo.vqa(' ', 'what?'), ImageError, /the image is an empty string/],
  ['vqa: a null question', () => demo.vqa(image, anything), TextError, /^the question is not a string$/],
  [
    'vqa: topK 0',
    () => demo.vqa(image, 'what?', { topK: 0 }),
    ArgumentError,
    /^vqa: topK must be an integer of at least 1, got 0$/,
  ],
  ['vqa: topK -1', () => demo.vqa(image, 'what?', { topK: -1 }), ArgumentError, /got -1$/],
  ['vqa: topK 2.5', () => demo.vqa(image, 'what?', { topK: 2.5 }), ArgumentError, /got 2.5$/],
  ['vqa: topK NaN', () => demo.vqa(image, 'what?', { topK: NaN }), ArgumentError, /got NaN$/],
  ['vqa: topK "3"', () => demo.vqa(image, 'what?', { topK: '3' as never }), ArgumentError, /got "3"$/],
  [
    'vqa: a misspelt option',
    () => demo.vqa(image, 'what?', { topk: 3 } as never),
    ArgumentError,
    /^vqa: unknown option "topk" \(it takes topK, attentionLayer, signal, onProgress\)$/,
  ],
  [
    'vqa: options a number',
    () => demo.vqa(image, 'what?', 3 as never),
    ArgumentError,
    /^vqa: the options must be an object, got number$/,
  ],
  [
    'vqa: attentionLayer out of range',
    () => demo.vqa(image, 'what?', { attentionLayer: 99 }),
    ShapeError,
    /layer 99 does not exist/,
  ],
  // match
  [
    'match: one string for the texts',
    () => demo.match(image, 'a red circle' as never),
    ArgumentError,
    /^match: texts must be an array, got one string: wrap it in \[ \]$/,
  ],
  ['match: no texts', () => demo.match(image, []), ArgumentError, /^match: texts is empty/],
  ['match: null among the texts', () => demo.match(image, ['a', anything]), TextError, /the text #2 is not a string/],
  ['match: a null image', () => demo.match(anything, ['a red circle']), ImageError, /^match: the image is null/],
  [
    'match: onProgress not a function',
    () => demo.match(image, ['a'], { onProgress: 'x' as never }),
    ArgumentError,
    /onProgress must be a function/,
  ],
  // retrieveImages
  [
    'retrieveImages: one image for the list',
    () => demo.retrieveImages('a red circle', image as never),
    ArgumentError,
    /^retrieveImages: images must be an array, got object$/,
  ],
  ['retrieveImages: no images', () => demo.retrieveImages('a red circle', []), ArgumentError, /images is empty/],
  [
    'retrieveImages: undefined among the images',
    () => demo.retrieveImages('a', [image, anything]),
    ImageError,
    /^retrieveImages: the image #2 is null/,
  ],
  [
    'retrieveImages: topK 0',
    () => demo.retrieveImages('a', [image], { topK: 0 }),
    ArgumentError,
    /topK must be an integer of at least 1/,
  ],
  [
    'retrieveImages: rerank -1',
    () => demo.retrieveImages('a', [image], { rerank: -1 }),
    ArgumentError,
    /rerank must be an integer of at least 0, got -1/,
  ],
  [
    'retrieveImages: an array for the text',
    () => demo.retrieveImages(['a'] as never, [image]),
    TextError,
    /the text is not a string/,
  ],
  [
    'retrieveImages: a signal that is not one',
    () => demo.retrieveImages('a', [image], { signal: {} as never }),
    ArgumentError,
    /signal must be an AbortSignal/,
  ],
  // retrieveTexts
  [
    'retrieveTexts: one string for the texts',
    () => demo.retrieveTexts(image, 'a' as never),
    ArgumentError,
    /^retrieveTexts: texts must be an array/,
  ],
  ['retrieveTexts: no texts', () => demo.retrieveTexts(image, []), ArgumentError, /texts is empty/],
  [
    'retrieveTexts: topK 1.5',
    () => demo.retrieveTexts(image, ['a'], { topK: 1.5 }),
    ArgumentError,
    /topK must be an integer/,
  ],
  [
    'retrieveTexts: an unknown option',
    () => demo.retrieveTexts(image, ['a'], { top: 3 } as never),
    ArgumentError,
    /unknown option "top" \(it takes topK, rerank, signal, onProgress\)/,
  ],
  // crossAttention
  [
    'crossAttention: layer -1',
    () => demo.crossAttention(image, 'a', { layer: -1 }),
    ShapeError,
    /layer -1 does not exist/,
  ],
  [
    'crossAttention: layer "1"',
    () => demo.crossAttention(image, 'a', { layer: '1' as never }),
    ArgumentError,
    /layer must be an integer, got "1"$/,
  ],
  [
    'crossAttention: layer 1.5',
    () => demo.crossAttention(image, 'a', { layer: 1.5 }),
    ArgumentError,
    /layer must be an integer, got 1.5$/,
  ],
  [
    'crossAttention: a null image',
    () => demo.crossAttention(anything, 'a'),
    ImageError,
    /^crossAttention: the image is null/,
  ],
  // embeddings
  [
    'embedText: one string',
    () => demo.embedText('a red circle' as never),
    ArgumentError,
    /^embedText: texts must be an array, got one string/,
  ],
  ['embedText: a blank text', () => demo.embedText(['a', ' ']), TextError, /the text #2 is empty/],
  [
    'embedImage: null',
    () => demo.embedImage(anything),
    ArgumentError,
    /^embedImage: images must be an array, got null$/,
  ],
  [
    'embedImage: an unknown option',
    () => demo.embedImage([image], { batch: 2 } as never),
    ArgumentError,
    /^embedImage: unknown option "batch" \(it takes signal, onProgress\)/,
  ],
  [
    'embedText: an onProgress that is not a function',
    () => demo.embedText(['a'], { onProgress: 'yes' } as never),
    ArgumentError,
    /^embedText: onProgress must be a function/,
  ],
  [
    'embedImage: a bad image',
    () => demo.embedImage([image, 'x.png', true as never]),
    ImageError,
    /^embedImage: the image #3 is a boolean/,
  ],
  ['embedPair: a null image', () => itc.embedPair(anything, 'a'), ImageError, /^embedPair: the image is null/],
  [
    'embedPairs: a string for the texts',
    () => itc.embedPairs([image], 'a' as never),
    ArgumentError,
    /^embedPairs: texts must be an array/,
  ],
  ['embedPairs: unequal lists', () => itc.embedPairs([image], ['a', 'b']), ShapeError, /1 images for 2 texts/],
  // fill-mask, entailment, NLVR2
  [
    'fillMask: topK 0',
    () => tiny.fillMask(image, 'a <mask>', { topK: 0 }),
    ArgumentError,
    /^fillMask: topK must be an integer of at least 1, got 0$/,
  ],
  ['fillMask: a null image', () => tiny.fillMask(anything, 'a <mask>'), ImageError, /^fillMask: the image is null/],
  [
    'fillMask: an unknown option',
    () => tiny.fillMask(image, 'a <mask>', { top: 1 } as never),
    ArgumentError,
    /unknown option "top"/,
  ],
  ['entailment: a null image', () => tiny.entailment(anything, 'a'), ImageError, /^entailment: the image is null/],
  [
    'entailment: a number for the hypothesis',
    () => tiny.entailment(image, 5 as never),
    TextError,
    /the hypothesis is not a string/,
  ],
  [
    'nlvr2: a missing right image',
    () => nlvr2.nlvr2(image, undefined as never, 'a'),
    ImageError,
    /^nlvr2: the right image is undefined/,
  ],
  ['nlvr2: a null statement', () => nlvr2.nlvr2(image, image, anything), TextError, /the statement is not a string/],
];

describe('bad arguments to every public method', () => {
  it('covers every public method of BridgeTower', () => {
    const methods = Object.getOwnPropertyNames(BridgeTower.prototype).filter(
      (m) =>
        m !== 'constructor' && typeof Object.getOwnPropertyDescriptor(BridgeTower.prototype, m)?.value === 'function',
    );
    const walked = new Set(cases().map(([what]) => what.split(':')[0]));
    for (const m of methods.filter((m) => !['hasHead', 'warmUp', 'dispose', 'task', 'free'].includes(m)))
      expect(walked, m).toContain(m);
    expect(walked).toContain('load');
  });

  it.each(cases())('%s', async (_what, call, type, message) => {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('hasHead refuses a head name it does not know', () => {
    expect(() => demo.hasHead('vqa2' as never)).toThrow(ArgumentError);
  });
});
