// Every public fixture: .ckpt (zip, legacy, half) and HF safetensors -> canonical tensors and configs;
// conversion to the web format in f32 and f16; shared storages; sharded safetensors; config from shapes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BridgeTowerConfig } from '../../src/common/config';
import { resolveConfig } from '../../src/checkpoint/resolve-config';
import { shapeFacts } from '../../src/checkpoint/facts-shapes';
import { hyperFacts } from '../../src/checkpoint/facts-authors';
import { type Facts } from '../../src/checkpoint/facts';
import { f32ToF16Bits, f16BitsToF32 } from '../../src/common/f16';
import { UrlDirectory } from '../../src/checkpoint/byte-source';
import { openWeights } from '../../src/checkpoint/open';
import { NodeDirectory, NodeDirSink, NodeFileSource, openPath } from '../../src/checkpoint/source-node';
import { parseTokenizerJson } from '../../src/checkpoint/tokenizer-files';
import { type Manifest } from '../../src/checkpoint/web-format';
import { writeWebFormat, type ConvertibleWeights } from '../../src/checkpoint/web-format-write';
import type { HostTensor } from '../../src/common/tensor';
import type { TensorInfo } from '../../src/common/weight-set';
import { AbortedError, ConfigError } from '../../src/errors';
import {
  fixtureBytes,
  fixtureConfig,
  fixtureJson,
  fixturePath,
  memory,
  PRESETS,
  rawBytes,
  sameBytes,
  tempDir,
  writeSafetensors,
} from './helpers';

/** The config the fixture's manifest `resolved_config` describes, written out by hand from its keys. */
function expectedConfig(preset: string): BridgeTowerConfig {
  const manifest = fixtureJson(preset, 'manifest.json') as Record<string, any>;
  const rc = manifest.resolved_config as Record<string, any>;
  const H = rc.hidden_size;
  const loss = rc.loss_names as Record<string, number>;
  const head = (inF: number, out: number) =>
    rc.task_head_layers === 2
      ? { layers: 2 as const, inFeatures: inF, hidden: Math.trunc(2 * H * rc.head_hidden_scale), outFeatures: out }
      : { layers: 1 as const, inFeatures: inF, hidden: 0, outFeatures: out };
  const heads: BridgeTowerConfig['heads'] = {};
  if (loss.vqa > 0) heads.vqa = head(2 * H, rc.vqav2_label_size);
  if (loss.snli > 0) heads.snli = head(2 * H, 3);
  if (loss.nlvr2 > 0) heads.nlvr2 = head(4 * H, 2);
  if (loss.itm > 0) heads.itm = true;
  if (loss.itc > 0) heads.itc = { dim: rc.contrastive_hidden_size };
  if (loss.mlm > 0) heads.mlm = true;
  if (loss.irtr > 0) heads.irtr = true;
  return {
    hiddenSize: H,
    numHeads: rc.num_heads,
    numLayers: rc.num_layers,
    crossIntermediateSize: H * rc.mlp_ratio,
    vision: {
      width: rc.vit_width,
      layers: rc.vit_layers,
      heads: rc.vit_heads,
      patchSize: rc.patch_size,
      imageSize: rc.image_size,
      layernormShared: rc.vit_layernorm_shared,
    },
    text: {
      hiddenSize: rc.input_text_embed_size,
      layers: rc.text_num_layers,
      heads: rc.text_num_heads,
      intermediateSize: rc.text_intermediate_size,
      vocabSize: rc.vocab_size,
      maxPositionEmbeddings: rc.text_max_position_embeddings,
      typeVocabSize: rc.text_type_vocab_size,
      padTokenId: 1,
      bosTokenId: 0,
      eosTokenId: 2,
      maxTextLen: manifest.config.max_text_len,
    },
    tokenTypes: loss.nlvr2 > 0 ? 3 : 2,
    heads,
    imagePreprocess: 'blip',
  };
}

async function openCkpt(preset: string): Promise<ConvertibleWeights> {
  return openWeights(await NodeFileSource.open(fixturePath(preset, 'model.ckpt')));
}

async function openHf(preset: string): Promise<ConvertibleWeights> {
  return openWeights(await NodeFileSource.open(fixturePath(preset, 'model-hf.safetensors')), {
    config: fixtureConfig(preset),
  });
}

async function readAll(w: ConvertibleWeights): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const n of w.names()) out.set(n, await w.read(n));
  return out;
}

const DROPPED = [
  'temperature',
  'vit_model.positional_embedding',
  'vit_model.ln_final.weight',
  'vit_model.ln_final.bias',
  'text_transformer.embeddings.position_ids',
  'text_transformer.pooler.dense.weight',
  'text_transformer.pooler.dense.bias',
];

describe.each(PRESETS)('fixture %s', (preset) => {
  it('reads the .ckpt and the HF weights to the same canonical tensors and the resolved config', async () => {
    const ckpt = await openCkpt(preset);
    const hf = await openHf(preset);
    try {
      expect(ckpt.config).toEqual(expectedConfig(preset));
      // The HF-named copy, opened with the authors' config it was made with, is the same model.
      expect(hf.config).toEqual(expectedConfig(preset));
      expect(ckpt.names()).toEqual(hf.names());
      expect([...ckpt.skipped].sort()).toEqual([...DROPPED].sort());
      const manifest = fixtureJson(preset, 'manifest.json');
      expect(ckpt.names().length + ckpt.skipped.length).toBe(manifest.state_dict_keys);
      const half = manifest.half_weights === true;
      for (const n of ckpt.names()) {
        const a = await ckpt.read(n),
          b = await hf.read(n);
        expect(a.dtype, n).toBe(half ? 'f16' : 'f32');
        expect(a.shape, n).toEqual(b.shape);
        expect(sameBytes(rawBytes(a), rawBytes(b)), n).toBe(true);
      }
    } finally {
      await ckpt.close();
      await hf.close();
    }
  });

  it.each(['f32', 'f16'] as const)('converts to the web format in %s, bit-exact', async (dtype) => {
    const src = await openCkpt(preset);
    const source = await readAll(src);
    const out = tempDir();
    const summary = await writeWebFormat(src, new NodeDirSink(out), { dtype, labels: ['a'] });
    await src.close();
    expect(summary.tensorsKept).toBe(source.size);
    expect(summary.tensorsSkipped).toBe(DROPPED.length);
    const web = await openWeights(new NodeDirectory(out));
    try {
      expect(web.config).toEqual(expectedConfig(preset));
      expect(web.labels).toEqual(['a']);
      expect(web.names()).toEqual([...source.keys()]);
      for (const [n, s] of source) {
        const t = await web.read(n);
        expect(t.dtype, n).toBe(dtype);
        expect(t.shape, n).toEqual(s.shape);
        expect(t.data.byteOffset % 256, n).toBe(0);
        const want =
          dtype === s.dtype
            ? rawBytes(s)
            : dtype === 'f16'
              ? rawBytes({ ...s, data: Uint16Array.from(s.data as Float32Array, f32ToF16Bits) })
              : rawBytes({ ...s, data: Float32Array.from(s.data as Uint16Array, f16BitsToF32) });
        expect(sameBytes(rawBytes(t), want), n).toBe(true);
      }
    } finally {
      await web.close();
    }
  });
});

describe('checkpoint details', () => {
  it('honours storage offsets: rank_output views rows 1: of itm_score.fc', async () => {
    const w = await openCkpt('tiny');
    const fcW = (await w.read('itm_score.fc.weight')).data as Float32Array;
    const fcB = (await w.read('itm_score.fc.bias')).data as Float32Array;
    const rW = await w.read('rank_output.weight'),
      rB = await w.read('rank_output.bias');
    await w.close();
    const H2 = fcW.length / 2;
    expect(rW.shape).toEqual([1, H2]);
    expect(Array.from(rW.data as Float32Array)).toEqual(Array.from(fcW.subarray(H2)));
    expect(Array.from(rB.data as Float32Array)).toEqual([fcB[1]]);
    expect(fcW[0]).not.toBe(fcW[H2]);
  });

  it('reads sharded safetensors through model.safetensors.index.json', async () => {
    const single = await openHf('small');
    const hfBytes = fixtureBytes('small', 'model-hf.safetensors');
    const { readSafetensors } = await import('../../src/checkpoint/safetensors');
    const all = readSafetensors(hfBytes, 'model-hf.safetensors');
    const dir = tempDir();
    const names = [...all.keys()].sort();
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < 3; s++) {
      const file = `model-0000${s + 1}-of-00003.safetensors`;
      const part = new Map(names.filter((_, i) => i % 3 === s).map((n) => [n, all.get(n)!]));
      for (const n of part.keys()) weightMap[n] = file;
      writeFileSync(join(dir, file), writeSafetensors(part));
    }
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify(fixtureConfig('small')));
    for (const open of [
      () => openWeights(new NodeDirectory(dir)),
      async () => {
        const p = await openPath(join(dir, 'model.safetensors.index.json'));
        return openWeights(p.source!, { dir: p.dir });
      },
    ]) {
      const sharded = await open();
      expect(sharded.format).toBe('safetensors-sharded');
      expect(sharded.config).toEqual(single.config);
      for (const n of single.names())
        expect(sameBytes(rawBytes(await sharded.read(n)), rawBytes(await single.read(n))), n).toBe(true);
      await sharded.close();
    }
    await single.close();
  });

  it('splits big tensors across small shards and reads them back', async () => {
    const src = await openCkpt('small');
    const source = await readAll(src);
    const out = tempDir();
    // 32 KiB shards: the 51 KiB word embedding and MLM decoder each span two shards.
    const summary = await writeWebFormat(src, new NodeDirSink(out), { maxShardBytes: 32768 });
    await src.close();
    expect(summary.shards).toBeGreaterThan(100);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    const spanning = manifest.tensors.filter((t) => t.length > 32768);
    expect(spanning.length).toBeGreaterThanOrEqual(2);
    for (const t of spanning) expect(t.offset).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.bin')).length).toBe(summary.shards);
    const web = await openWeights(new NodeDirectory(out));
    for (const [n, s] of source) expect(sameBytes(rawBytes(await web.read(n)), rawBytes(s)), n).toBe(true);
    await web.close();
  });

  it('infers the config from tensor shapes alone (given only the head counts, which shapes cannot show)', async () => {
    for (const preset of PRESETS) {
      const w = await openCkpt(preset);
      const manifest = fixtureJson(preset, 'manifest.json') as Record<string, any>;
      const rc = manifest.resolved_config as Record<string, number>;
      const infos = new Map<string, TensorInfo>(w.names().map((n) => [n, w.info(n)!]));
      await w.close();
      const hints: Facts = new Map([
        ['numHeads', { value: rc.num_heads, from: 'test' }],
        ['vision.heads', { value: rc.vit_heads, from: 'test' }],
        ['text.heads', { value: rc.text_num_heads, from: 'test' }],
        ['text.maxTextLen', { value: manifest.config.max_text_len, from: 'test' }],
      ]);
      expect(resolveConfig(hints, shapeFacts(infos), { file: preset, hfNames: false }), preset).toEqual(
        expectedConfig(preset),
      );
      if (rc.hidden_size % 64)
        expect(() => resolveConfig(new Map(), shapeFacts(infos), { file: preset, hfNames: false }), preset).toThrow(
          ConfigError,
        );
    }
  });

  it('accepts one of our BridgeTowerConfig objects as the config, and checks it', async () => {
    const hf = fixtureBytes('tiny-nlvr2', 'model-hf.safetensors');
    const w = await openWeights(memory(hf, 'nlvr2.safetensors'), { config: expectedConfig('tiny-nlvr2') });
    expect(w.config).toEqual(expectedConfig('tiny-nlvr2'));
    const wrong = expectedConfig('tiny-nlvr2');
    wrong.vision.width = 32;
    await expect(openWeights(memory(hf, 'nlvr2.safetensors'), { config: wrong })).rejects.toThrow(
      /vision\.width = 32, but tensor vit_model\.visual\.class_embedding \[48\]/,
    );
  });

  it('takes heads = width / 64 when widths are multiples of 64 and nothing declares them', async () => {
    const w = await openCkpt('small');
    const infos = new Map<string, TensorInfo>(w.names().map((n) => [n, w.info(n)!]));
    await w.close();
    const c = resolveConfig(new Map(), shapeFacts(infos), { file: 'small', hfNames: true });
    expect([c.numHeads, c.vision.heads, c.text.heads]).toEqual([1, 1, 1]);
    expect(c.imagePreprocess).toBe('hf');
    const hyper = hyperFacts({
      ...(fixtureJson('small', 'manifest.json').config as object),
      vit: 'CLIP-ViT-B/16',
    } as Record<string, unknown>);
    expect(hyper.get('vision.patchSize')?.value).toBe(16);
  });

  it('re-grids the positional embedding for --image-size', async () => {
    const base = await openCkpt('tiny');
    const w = await openWeights(await NodeFileSource.open(fixturePath('tiny', 'model.ckpt')), { imageSize: 48 });
    expect(w.config.vision.imageSize).toBe(48);
    const pos = await w.read('vit_model.visual.positional_embedding');
    const orig = await base.read('vit_model.visual.positional_embedding');
    expect(pos.shape).toEqual([37, 32]);
    expect(Array.from((pos.data as Float32Array).subarray(0, 32))).toEqual(
      Array.from((orig.data as Float32Array).subarray(0, 32)),
    );
    // The same re-grid applies to a web-format source.
    const out = tempDir();
    await writeWebFormat(base, new NodeDirSink(out));
    const web = await openWeights(new NodeDirectory(out), { imageSize: 48, imagePreprocess: 'clip' });
    expect(web.config).toEqual({ ...w.config, imagePreprocess: 'clip' });
    expect(sameBytes(rawBytes(await web.read('vit_model.visual.positional_embedding')), rawBytes(pos))).toBe(true);
    await web.close();
    await w.close();
    await base.close();
    await expect(
      openWeights(await NodeFileSource.open(fixturePath('tiny', 'model.ckpt')), { imageSize: 50 }),
    ).rejects.toThrow(ConfigError);
  });

  it('reads the tokenizer from tokenizer.json in both merge spellings and stores it with the weights', async () => {
    const vocab = { '<s>': 0, a: 1, b: 2, ab: 3 };
    for (const merges of [['a b'], [['a', 'b']]]) {
      expect(parseTokenizerJson(JSON.stringify({ model: { type: 'BPE', vocab, merges } }), 'tokenizer.json')).toEqual({
        vocab,
        merges: ['a b'],
      });
    }
    const src = await openWeights(memory(fixtureBytes('tiny', 'model.ckpt'), 'model.ckpt'));
    const out = tempDir();
    await writeWebFormat(src, new NodeDirSink(out), { tokenizer: { vocab, merges: ['a b'] } });
    const web = await openWeights(new NodeDirectory(out));
    expect(web.tokenizer).toEqual({ vocab, merges: ['a b'] });
    await web.close();
  });

  it('reports progress, stops on abort without leaving a loadable directory, and re-converts web to web', async () => {
    const out = tempDir();
    const seen: number[] = [];
    const w = await openCkpt('tiny');
    const summary = await writeWebFormat(w, new NodeDirSink(out), {
      onProgress: (p) => {
        seen.push(p.bytes);
        expect(p.totalTensors).toBe(271);
      },
    });
    await w.close();
    expect(seen.length).toBe(271);
    expect(seen.every((b, i) => i === 0 || b > seen[i - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBe(summary.bytes);

    const stopped = tempDir();
    const controller = new AbortController();
    const w2 = await openCkpt('tiny');
    const run = writeWebFormat(w2, new NodeDirSink(stopped), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.tensors === 10) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortedError);
    await w2.close();
    expect(readdirSync(stopped)).toEqual([]);

    const again = tempDir();
    const web = await openWeights(new NodeDirectory(out));
    await writeWebFormat(web, new NodeDirSink(again), { dtype: 'f16' });
    const half = await openWeights(new NodeDirectory(again));
    const name = 'text_transformer.embeddings.word_embeddings.weight';
    expect(Array.from((await half.read(name)).data as Uint16Array)).toEqual(
      Array.from((await web.read(name)).data as Float32Array, f32ToF16Bits),
    );
    await web.close();
    await half.close();
  });

  it('reads a web-format directory from a URL base (fetch)', async () => {
    const out = tempDir();
    const w = await openCkpt('tiny');
    await writeWebFormat(w, new NodeDirSink(out));
    const fetched: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      const u = String(url);
      fetched.push(u);
      const path = join(out, u.slice('https://example.test/m/'.length));
      try {
        return new Response(readFileSync(path));
      } catch {
        return new Response('missing', { status: 404 });
      }
    }) as typeof fetch;
    const web = await openWeights(new UrlDirectory('https://example.test/m', fakeFetch));
    expect(web.config).toEqual(w.config);
    for (const n of w.names()) expect(sameBytes(rawBytes(await web.read(n)), rawBytes(await w.read(n))), n).toBe(true);
    expect(fetched).toEqual(['https://example.test/m/manifest.json', 'https://example.test/m/weights-00000.bin']);
    await w.close();
    await web.close();
  });
});
