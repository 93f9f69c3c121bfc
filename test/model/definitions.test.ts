// Which code defines a loaded model, and the configurations refused by name: what transformers v4.40.2 cannot
// build or run (issue #9), a BERT text tower in an authors' checkpoint, and what HF's defaults mean when
// save_pretrained left a field out of config.json.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModelWeights } from '../../src/hub/open-path';
import { readSafetensorsFile } from '../../src/verify/load-model';
import { UrlDirectory } from '../../src/checkpoint/byte-source';
import { openWeights } from '../../src/checkpoint/open';
import { RobertaTokenizer } from '../../src/preprocess/tokenizer';
import { resolveConfig } from '../../src/checkpoint/resolve-config';
import { shapeFacts } from '../../src/checkpoint/facts-shapes';
import { hfConfigFacts } from '../../src/checkpoint/facts-hf';
import { expectedTensors } from '../../src/common/parameters';
import { hfToCanonical, usesHfNames } from '../../src/checkpoint/names';
import type { TensorInfo } from '../../src/common/weight-set';
import { ConfigError } from '../../src/errors';
import { definitions, describeDefinitions, type BridgeTowerConfig } from '../../src/common/config';

const hfConfig = async (dir: string) =>
  JSON.parse(await readFile(`test/fixtures/${dir}/config.json`, 'utf8')) as Record<string, unknown>;

async function refusal(dir: string, change: (c: Record<string, unknown>) => void): Promise<unknown> {
  const config = await hfConfig(dir);
  change(config);
  return openModelWeights(`test/fixtures/${dir}`, { config }).then(
    async (w) => {
      await w.close();
      return 'opened';
    },
    (e: unknown) => e,
  );
}

describe('HF names', () => {
  it('maps both layouts (bridgetower.-prefixed BridgeTowerFor* saves and plain BridgeTowerModel saves)', () => {
    for (const prefix of ['', 'bridgetower.']) {
      expect(usesHfNames([`${prefix}text_model.embeddings.word_embeddings.weight`])).toBe(true);
      expect(hfToCanonical(`${prefix}text_model.encoder.layer.0.output.dense.weight`)).toBe(
        'text_transformer.encoder.layer.0.output.dense.weight',
      );
      expect(hfToCanonical(`${prefix}vision_model.visual.embeddings.patch_embedding.weight`)).toBe(
        'vit_model.visual.conv1.weight',
      );
      expect(hfToCanonical(`${prefix}vision_model.visual.ln_post.bias`)).toBe('vit_model.visual.ln_post.bias');
      expect(hfToCanonical(`${prefix}cross_modal_text_link_tower.0.beta`)).toBe('cross_modal_text_link_tower.0.beta');
    }
    expect(hfToCanonical('itc_cross_modal_head.fc.weight')).toBe('itc_cross_modal_head.fc.weight');
    expect(usesHfNames(['text_transformer.embeddings.word_embeddings.weight', 'vit_model.visual.conv1.weight'])).toBe(
      false,
    );
  });
});

describe('definitions of a loaded model', () => {
  it('follows HF for HF saves, with config.json knobs and HF defaults for absent fields', async () => {
    const w = await openModelWeights('test/fixtures/hf-mlm-tied');
    try {
      const d = definitions(w.config);
      expect(d.definition).toBe('hf');
      expect(d.linkTower).toBe('interpolate');
      expect(d.tieWordEmbeddings).toBe(true);
      expect(d.hiddenAct).toEqual({ text: 'silu', cross: 'silu', mlm: 'relu' });
      expect(d.layerNormEps).toEqual({ vision: 1e-5, text: 1e-5, cross: 1e-5, bridge: 1e-5, mlm: 1e-5 });
      expect(w.names()).not.toContain('mlm_score.decoder.weight');
      expect(w.tokenizer).toBeUndefined();
    } finally {
      await w.close();
    }
    const eps = await openModelWeights('test/fixtures/hf-mlm-eps');
    try {
      expect(definitions(eps.config).layerNormEps).toEqual({
        vision: 0.2,
        text: 0.1,
        cross: 0.1,
        bridge: 0.03,
        mlm: 0.03,
      });
    } finally {
      await eps.close();
    }
  });

  it('follows the authors for their checkpoints, and says so', async () => {
    const w = await openModelWeights('test/fixtures/authors-itm-itc/model.ckpt');
    try {
      expect(definitions(w.config)).toMatchObject({ definition: 'authors', itmPath: 'fusion' });
      expect(definitions(w.config).layerNormEps.cross).toBe(1e-12);
      expect(describeDefinitions(w.config)).toMatch(
        /authors' microsoft\/BridgeTower code.*last vision layer.*infer_fusion/,
      );
    } finally {
      await w.close();
    }
  });

  it("reads the HF folder's tokenizer files and preprocessor_config.json", async () => {
    const w = await openModelWeights('test/fixtures/hf-model');
    try {
      expect(w.tokenizer?.vocab['<mask>']).toBeDefined();
      expect(w.config.imageProcessor).toMatchObject({
        shortestEdge: 32,
        sizeDivisor: 16,
        cropSize: 32,
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
      });
    } finally {
      await w.close();
    }
  });
});

describe('an HF folder served over HTTP (as the hub serves a repo)', () => {
  it("loads weights, config, tokenizer files and preprocessor_config.json; the tokenizer gives HF's ids", async () => {
    const fetched: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      const u = String(url);
      fetched.push(u.slice('https://hub.test/m/'.length));
      try {
        return new Response(readFileSync(join('test/fixtures/hf-model', u.slice('https://hub.test/m/'.length))));
      } catch {
        return new Response('missing', { status: 404 });
      }
    }) as typeof fetch;
    const w = await openWeights(new UrlDirectory('https://hub.test/m', fakeFetch));
    try {
      expect(fetched).toEqual(
        expect.arrayContaining([
          'vocab.json',
          'merges.txt',
          'preprocessor_config.json',
          'model.safetensors',
          'config.json',
        ]),
      );
      expect(definitions(w.config).definition).toBe('hf');
      expect(w.config.imageProcessor?.sizeDivisor).toBe(16);
      const tok = new RobertaTokenizer(w.tokenizer!);
      const manifest = JSON.parse(await readFile('test/fixtures/hf-model/manifest.json', 'utf8')) as {
        texts: string[];
      };
      const ids = (await readSafetensorsFile('test/fixtures/hf-model/inputs.safetensors')).get('input_ids')!;
      const L = ids.shape[1];
      manifest.texts.forEach((text, b) => {
        const want = Array.from(ids.data as BigInt64Array, Number)
          .slice(b * L, (b + 1) * L)
          .filter((id) => id !== w.config.text.padTokenId);
        expect(tok.encode(text, 40)).toEqual(want);
      });
    } finally {
      await w.close();
    }
  });
});

describe('configurations refused by name', () => {
  it('refuses what transformers cannot build or run', async () => {
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      [
        'hf-itm-bin',
        (c) => {
          c.share_cross_modal_transformer_layers = false;
        },
        /share_cross_modal_transformer_layers/,
      ],
      [
        'hf-itm-bin',
        (c) => {
          c.share_link_tower_layers = true;
        },
        /share_link_tower_layers: true with 3 cross-modal layers/,
      ],
      [
        'hf-itc',
        (c) => {
          c.init_layernorm_from_vision_encoder = true;
        },
        /init_layernorm_from_vision_encoder/,
      ],
      [
        'hf-itm-bin',
        (c) => {
          c.link_tower_type = 'concat';
        },
        /link_tower_type "concat"/,
      ],
      [
        'hf-itm-bin',
        (c) => {
          (c.text_config as Record<string, unknown>).hidden_act = 'mish';
        },
        /text_config.hidden_act "mish"/,
      ],
      [
        'hf-itm-bin',
        (c) => {
          (c.text_config as Record<string, unknown>).position_embedding_type = 'relative_key';
        },
        /position_embedding_type/,
      ],
    ];
    for (const [dir, change, message] of cases) {
      const e = await refusal(dir, change);
      expect(e, String(message)).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(message);
    }
  });

  it("refuses every config.json of hf-refused (what HF's own classes fail on) from the config alone", async () => {
    const manifest = JSON.parse(await readFile('test/fixtures/hf-refused/manifest.json', 'utf8')) as {
      cases: Record<string, unknown>;
    };
    const names: Record<string, RegExp> = {
      'share-cross-modal-false': /share_cross_modal_transformer_layers/,
      'share-link-tower-true': /share_link_tower_layers/,
      'init-ln-from-vision-separate': /init_layernorm_from_vision_encoder/,
      'contrastive-clip-width-differs': /BridgeTowerForContrastiveLearning/,
    };
    expect(Object.keys(manifest.cases).sort()).toEqual(Object.keys(names).sort());
    for (const [dir, message] of Object.entries(names)) {
      const config = JSON.parse(await readFile(`test/fixtures/hf-refused/${dir}/config.json`, 'utf8')) as Record<
        string,
        unknown
      >;
      expect(() => hfConfigFacts(config), dir).toThrow(ConfigError);
      expect(() => hfConfigFacts(config), dir).toThrow(message);
    }
  });

  it('refuses a contrastive model whose CLIP width differs from the cross-modal width', () => {
    const base = {
      hidden_size: 32,
      num_hidden_layers: 2,
      contrastive_hidden_size: 8,
      text_config: {
        hidden_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 64,
        vocab_size: 50,
        max_position_embeddings: 20,
      },
      vision_config: { hidden_size: 128, num_hidden_layers: 2, patch_size: 8, image_size: 16 },
    };
    const facts = hfConfigFacts(base);
    const config = resolveConfig(facts, new Map(), { file: 'synthetic', hfNames: true }) as BridgeTowerConfig;
    expect(config.vision.heads).toBe(2);
    const withItc: BridgeTowerConfig = { ...config, heads: { itc: { dim: 8, cross: true } } };
    const infos = new Map<string, TensorInfo>(
      expectedTensors({ ...withItc, definition: 'authors' }).map(([n, shape]) => [n, { dtype: 'f32', shape }]),
    );
    expect(() => resolveConfig(facts, shapeFacts(infos), { file: 'synthetic', hfNames: true })).toThrow(
      /contrastive.*vision width 128.*cross-modal width 32/,
    );
  });

  it("refuses the authors' BERT text tower from the checkpoint's config, never running it as RoBERTa", async () => {
    const e = await openModelWeights('test/fixtures/authors-bert/model.ckpt').then(
      () => 'opened',
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(/tokenizer "bert-base-uncased".*BERT text tower/);
  });
});
