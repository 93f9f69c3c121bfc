// VQA answers from a config.json's id2label (issue #18 item 5): an HF-layout folder (the demo's weights under HF
// names, made here) whose HF config declares no VQA head size answers by name whenever the id2label count is the
// head's in the weights; a count that differs is a ConfigError naming both, unless the caller gives the labels.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import { NodeDirectory } from '../../src/checkpoint/source-node';
import { WebFormatWeights } from '../../src/checkpoint/web-format';
import type { BridgeTowerConfig } from '../../src/common/config';
import { ConfigError } from '../../src/errors';
import { loadBridgeTower } from '../../src/tasks/node';
import { hfLayout } from '../../tools/hf-layout';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { writeSafetensors } from './helpers';

const DEMO = 'weights/demo';
let demo: BridgeTowerConfig;
let weights: Map<string, Uint8Array>;

/** An HF BridgeTower config.json for the demo's sizes: no vqav2 label count, no task-head fields. */
function hfConfig(c: BridgeTowerConfig, id2label?: Record<string, string>): Record<string, unknown> {
  return {
    architectures: ['BridgeTowerForVisualQuestionAnswering'],
    model_type: 'bridgetower',
    hidden_size: c.hiddenSize,
    num_attention_heads: c.numHeads,
    num_hidden_layers: c.numLayers,
    contrastive_hidden_size: c.heads.itc?.dim,
    text_config: {
      vocab_size: c.text.vocabSize,
      hidden_size: c.text.hiddenSize,
      num_hidden_layers: c.text.layers,
      num_attention_heads: c.text.heads,
      intermediate_size: c.text.intermediateSize,
      max_position_embeddings: c.text.maxPositionEmbeddings,
      type_vocab_size: c.text.typeVocabSize,
    },
    vision_config: {
      hidden_size: c.vision.width,
      num_hidden_layers: c.vision.layers,
      patch_size: c.vision.patchSize,
      image_size: c.vision.imageSize,
    },
    ...(id2label ? { id2label } : {}),
  };
}

const named = (n: number): string[] => Array.from({ length: n }, (_, i) => `answer-${i}`);
const id2label = (labels: string[]) => Object.fromEntries(labels.map((l, i) => [String(i), l]));

/** A fresh HF-layout folder: the demo's weights (all, or without the VQA head) and this config.json. */
function folder(config: Record<string, unknown>, withVqa = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'bt-id2label-'));
  for (const [name, bytes] of weights) if (name !== 'config.json') writeFileSync(join(dir, name), bytes);
  if (!withVqa) {
    const all = readSafetensors(weights.get('model.safetensors')!, 'model.safetensors');
    for (const k of [...all.keys()]) if (k.startsWith('vqa_classifier.')) all.delete(k);
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(all));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

beforeAll(async () => {
  const web = await WebFormatWeights.open(new NodeDirectory(DEMO));
  demo = web.config;
  await web.close();
  weights = await hfLayout(DEMO);
});

describe('id2label in config.json', () => {
  it('gives the answers when its count is the VQA head found in the weights', async () => {
    const labels = named(demo.heads.vqa!.outFeatures);
    const w = await openWeights(new NodeDirectory(folder(hfConfig(demo, id2label(labels)))));
    try {
      expect(w.config.heads.vqa?.outFeatures).toBe(labels.length);
      expect(w.config.definition).toBe('hf');
      expect(w.labels).toEqual(labels);
    } finally {
      await w.close();
    }
  });

  it('answers by name through the task API', async () => {
    const labels = named(demo.heads.vqa!.outFeatures);
    const bt = await loadBridgeTower(folder(hfConfig(demo, id2label(labels))));
    try {
      const image = readFileSync('test/fixtures/demo-model/eval/img-00.png');
      const { answers } = await bt.vqa(image, 'how many objects are in the image', { topK: 3 });
      expect(answers.length).toBe(3);
      for (const a of answers) expect(labels).toContain(a.answer);
    } finally {
      bt.dispose();
    }
  });

  it('refuses a count that differs from the head, naming both, unless labels are given', async () => {
    const n = demo.heads.vqa!.outFeatures;
    const dir = folder(hfConfig(demo, id2label(named(n - 1))));
    const e = await openWeights(new NodeDirectory(dir)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toContain(`id2label names ${n - 1} answers`);
    expect((e as Error).message).toContain(`the VQA head in the weights gives ${n}`);
    const given = named(n).reverse();
    const w = await openWeights(new NodeDirectory(dir), { labels: given });
    expect(w.labels).toEqual(given);
    await w.close();
  });

  it('is ignored when the weights have no VQA head', async () => {
    const w = await openWeights(new NodeDirectory(folder(hfConfig(demo, id2label(named(3))), false)));
    try {
      expect(w.config.heads.vqa).toBeUndefined();
      expect(w.labels).toBeUndefined();
    } finally {
      await w.close();
    }
  });

  it('refuses an id2label that is not an index -> label map', async () => {
    const bad = folder(hfConfig(demo, { '0': 'a', '2': 'b' }));
    await expect(openWeights(new NodeDirectory(bad))).rejects.toThrow(ConfigError);
    await expect(openWeights(new NodeDirectory(bad))).rejects.toThrow('config.json id2label: label "2"');
  });
});
