// Writes a web-format model (weights/demo by default) in the Hugging Face hub's layout, for the hub tests
// and for trying `--model hf:...` against a local server:
//   config.json (the model's BridgeTowerConfig with id2label from the labels: see layoutConfig),
//   weights under HF names as model.safetensors | sharded safetensors | pytorch_model.bin | sharded bin,
//   vocab.json + merges.txt, or tokenizer.json.
// Usage: npx tsx tools/hf-layout.ts <out-dir> [--from weights/demo] [--weights safetensors|safetensors-sharded|bin|bin-sharded] [--tokenizer-json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hfToCanonical } from '../src/checkpoint/names';
import { NodeDirectory } from '../src/checkpoint/source-node';
import { mergesTxt } from '../src/checkpoint/tokenizer-files';
import { WebFormatWeights } from '../src/checkpoint/web-format';
import type { BridgeTowerConfig } from '../src/common/config';
import { writeSafetensors, type WritableTensor } from '../src/checkpoint/safetensors-write';
import { OrderedDict, Tensor, torchZip } from '../test/support/torch-writer';

export type HfWeights = 'safetensors' | 'safetensors-sharded' | 'bin' | 'bin-sharded';
export interface HfLayoutOptions {
  weights?: HfWeights;
  tokenizerJson?: boolean;
}

const HEADS =
  /^(vqa_classifier|itm_score|itc_text_head|itc_image_head|mlm_score|snli_classifier|nlvr2_classifier|rank_output)\./;

/** The HF name of a canonical (original state_dict) name; checked to map back with hfToCanonical. */
export function canonicalToHf(name: string): string {
  const candidates = [
    'bridgetower.vision_model.visual.embeddings.patch_embedding.weight',
    'bridgetower.vision_model.visual.embeddings.class_embedding',
    'bridgetower.vision_model.visual.embeddings.position_embedding.weight',
    name.replace(/^text_transformer\./, 'bridgetower.text_model.'),
    name.replace(/^vit_model\.visual\./, 'bridgetower.vision_model.visual.'),
    HEADS.test(name) ? name : `bridgetower.${name}`,
  ];
  const hf = candidates.find((c) =>
    c.startsWith('bridgetower.') || HEADS.test(c) ? hfToCanonical(c) === name : false,
  );
  if (!hf) throw new Error(`no HF name maps back to ${name}`);
  return hf;
}

/**
 * config.json: the model's own BridgeTowerConfig (an HF config cannot describe a model with the authors'
 * definitions: HF builds width / 64 vision heads and LayerNorm eps 1e-5 everywhere), with id2label from the labels.
 */
export function layoutConfig(c: BridgeTowerConfig, labels?: string[]): Record<string, unknown> {
  return { ...c, ...(labels ? { id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])) } : {}) };
}

/** The files of the model at `from` in the hub's layout, by name. */
export async function hfLayout(from: string, opts: HfLayoutOptions = {}): Promise<Map<string, Uint8Array>> {
  const web = await WebFormatWeights.open(new NodeDirectory(from));
  const files = new Map<string, Uint8Array>();
  const json = (x: unknown) => new TextEncoder().encode(`${JSON.stringify(x, null, 2)}\n`);
  try {
    const tensors: Array<[string, WritableTensor]> = [];
    for (const name of web.names()) {
      const t = await web.read(name);
      if (t.dtype !== 'f32') throw new Error(`${name}: only f32 web models are written (got ${t.dtype})`);
      tensors.push([canonicalToHf(name), { dtype: 'F32', shape: t.shape, data: t.data as Float32Array }]);
    }
    const kind = opts.weights ?? 'safetensors';
    const halves = kind.endsWith('sharded')
      ? [tensors.slice(0, tensors.length >> 1), tensors.slice(tensors.length >> 1)]
      : [tensors];
    const bin = kind.startsWith('bin');
    const shardName = (i: number) =>
      bin
        ? `pytorch_model-0000${i + 1}-of-0000${halves.length}.bin`
        : `model-0000${i + 1}-of-0000${halves.length}.safetensors`;
    const weightMap: Record<string, string> = {};
    for (const [i, part] of halves.entries()) {
      const file = halves.length === 1 ? (bin ? 'pytorch_model.bin' : 'model.safetensors') : shardName(i);
      files.set(file, bin ? await stateDictBin(part) : writeSafetensors(Object.fromEntries(part), { format: 'pt' }));
      for (const [n] of part) weightMap[n] = file;
    }
    if (halves.length > 1)
      files.set(
        bin ? 'pytorch_model.bin.index.json' : 'model.safetensors.index.json',
        json({ metadata: {}, weight_map: weightMap }),
      );
    files.set('config.json', json(layoutConfig(web.config, web.labels)));
    const tok = web.tokenizer;
    if (!tok) throw new Error(`${from} has no tokenizer files`);
    if (opts.tokenizerJson)
      files.set(
        'tokenizer.json',
        json({ version: '1.0', model: { type: 'BPE', vocab: tok.vocab, merges: tok.merges } }),
      );
    else {
      files.set('vocab.json', json(tok.vocab));
      files.set('merges.txt', new TextEncoder().encode(mergesTxt(tok.merges)));
    }
  } finally {
    await web.close();
  }
  return files;
}

/** A bare state dict, as HF's pytorch_model.bin holds it. */
async function stateDictBin(tensors: Array<[string, WritableTensor]>): Promise<Uint8Array> {
  const storages = new Map<string, Uint8Array>();
  const entries: Array<[string, Tensor]> = tensors.map(([name, t]) => {
    const key = String(storages.size);
    storages.set(key, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice());
    return [name, new Tensor({ key, type: 'FloatStorage', numel: t.data.length }, 0, t.shape)];
  });
  return torchZip('pytorch_model', new OrderedDict(entries), storages);
}

async function main(argv: string[]): Promise<void> {
  const out = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.match(/^--(from|weights)$/));
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (!out)
    throw new Error(
      'usage: npx tsx tools/hf-layout.ts <out-dir> [--from DIR] [--weights safetensors|safetensors-sharded|bin|bin-sharded] [--tokenizer-json]',
    );
  const files = await hfLayout(value('from') ?? 'weights/demo', {
    weights: value('weights') as HfWeights | undefined,
    tokenizerJson: argv.includes('--tokenizer-json'),
  });
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(out, name), bytes);
  console.log(`${out}: ${[...files.keys()].join(', ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`hf-layout: ${(e as Error).message}`);
    process.exit(1);
  });
}
