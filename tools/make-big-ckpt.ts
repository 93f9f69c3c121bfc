// Writes a synthetic PyTorch-Lightning checkpoint the size of a real one, without holding it in memory:
// a BridgeTower-base-shaped state_dict (ViT-B/16 at 288 px, roberta-base, 6 cross layers, MLM/ITM/ITC/VQA
// heads) plus the AdamW state (exp_avg, exp_avg_sq: twice the weights) and, with --pad-gb, an extra
// callback tensor so the archive passes 4 GiB and needs ZIP64. Tensor values are a fixed pseudo-random
// pattern: this file exists to measure the converter's memory and time, not the model.
//
//   npx tsx tools/make-big-ckpt.ts big.ckpt [--pad-gb 0.6]
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { baseConfig } from '../src/checkpoint/random-weights';
import { expectedTensors } from '../src/common/parameters';
import { numel } from '../src/common/tensor';
import type { BridgeTowerConfig } from '../src/common/config';
import { OrderedDict, Tensor, Tuple, ZipWriter, pickle, type PickleValue } from '../test/support/torch-writer';

const CONFIG = {
  vit: 'CLIP-ViT-B/16',
  tokenizer: 'roberta-base',
  hidden_size: 768,
  num_heads: 12,
  num_layers: 6,
  mlp_ratio: 4,
  image_size: 288,
  patch_size: 16,
  vocab_size: 50265,
  max_text_len: 40,
  input_text_embed_size: 768,
  input_image_embed_size: 768,
  loss_names: { itm: 1, mlm: 1, itc: 1, itm_itc: 0, irtr_itm_itc: 0, vqa: 1, nlvr2: 0, irtr: 0, snli: 0 },
  vqav2_label_size: 3129,
  task_head_layers: 2,
  head_hidden_scale: 2,
  contrastive_hidden_size: 256,
  vit_layernorm_shared: true,
  val_transform_keys: ['blip'],
  temperature: 0.07,
};
const MODEL: BridgeTowerConfig = baseConfig({
  heads: {
    mlm: true,
    itm: true,
    itc: { dim: 256 },
    vqa: { layers: 2, inFeatures: 1536, hidden: 3072, outFeatures: 3129 },
  },
});
const CHUNK = 4 << 20;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const path = args.find((a) => !a.startsWith('--'));
  const padAt = args.indexOf('--pad-gb');
  const padBytes = padAt >= 0 ? Math.round((Number(args[padAt + 1]) * 2 ** 30) / 4) * 4 : 0;
  if (!path || !Number.isFinite(padBytes)) {
    console.error('usage: npx tsx tools/make-big-ckpt.ts <out.ckpt> [--pad-gb G]');
    process.exit(2);
  }
  const weights: Array<[string, number[], string]> = [
    ['temperature', [], 'FloatStorage'],
    ...expectedTensors(MODEL).map(([n, s]): [string, number[], string] => [n, s, 'FloatStorage']),
    ['vit_model.positional_embedding', [77, 512], 'FloatStorage'],
    ['vit_model.ln_final.weight', [512], 'FloatStorage'],
    ['vit_model.ln_final.bias', [512], 'FloatStorage'],
    ['text_transformer.embeddings.position_ids', [1, 514], 'LongStorage'],
    ['text_transformer.pooler.dense.weight', [768, 768], 'FloatStorage'],
    ['text_transformer.pooler.dense.bias', [768], 'FloatStorage'],
  ];
  const storages: Array<{ key: string; bytes: number }> = [];
  const tensor = (shape: number[], type = 'FloatStorage'): Tensor => {
    const key = String(storages.length);
    const n = numel(shape);
    storages.push({ key, bytes: n * (type === 'LongStorage' ? 8 : 4) });
    return new Tensor({ key, type, numel: n }, 0, shape);
  };
  const stateDict = new OrderedDict(weights.map(([n, s, t]) => [n, tensor(s, t)]));
  const params = weights.filter(([, , t]) => t === 'FloatStorage');
  const state = new Map<PickleValue, PickleValue>(
    params.map(([, s], i) => [
      i,
      new Map<PickleValue, PickleValue>([
        ['step', 19018],
        ['exp_avg', tensor(s)],
        ['exp_avg_sq', tensor(s)],
      ]),
    ]),
  );
  const callbacks = new Map<PickleValue, PickleValue>([
    [
      "ModelCheckpoint{'monitor': 'val/the_metric', 'mode': 'max'}",
      new Map<PickleValue, PickleValue>([
        ['best_model_score', tensor([])],
        ['dirpath', '/tmp'],
      ]),
    ],
  ]);
  if (padBytes) callbacks.set('padding', tensor([padBytes / 4]));
  const top = new Map<PickleValue, PickleValue>([
    ['epoch', 9],
    ['global_step', 19018],
    ['pytorch-lightning_version', '1.5.10'],
    ['state_dict', stateDict],
    ['callbacks', callbacks],
    [
      'optimizer_states',
      [
        new Map<PickleValue, PickleValue>([
          ['state', state],
          [
            'param_groups',
            [
              new Map<PickleValue, PickleValue>([
                ['lr', 1e-5],
                ['betas', new Tuple([0.9, 0.98])],
                ['eps', 1e-8],
                ['weight_decay', 0.01],
                ['amsgrad', false],
                ['params', params.map((_, i) => i)],
              ]),
            ],
          ],
        ]),
      ],
    ],
    ['lr_schedulers', [new Map<PickleValue, PickleValue>([['lr_lambdas', [null, null]]])]],
    ['hparams_name', 'kwargs'],
    ['hyper_parameters', new Map<PickleValue, PickleValue>([['config', toPickle(CONFIG)]])],
  ]);

  const pattern = new Float32Array(CHUNK / 4 + 1024);
  let seed = 12345;
  for (let i = 0; i < pattern.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    pattern[i] = (seed / 2 ** 32 - 0.5) * 0.1;
  }
  const patternBytes = new Uint8Array(pattern.buffer);
  const handle = await open(path, 'w');
  const zip = new ZipWriter({
    write: async (b, position) => {
      await handle.write(b, 0, b.length, position);
    },
  });
  const root = basename(path).replace(/\.[^.]*$/, '');
  const started = Date.now();
  const pkl = pickle(top);
  await zip.add(`${root}/data.pkl`, pkl.length, [pkl]);
  let total = 0;
  for (const [i, s] of storages.entries()) {
    const shift = ((i * 4099) % 1024) * 4;
    await zip.add(
      `${root}/data/${s.key}`,
      s.bytes,
      (function* () {
        for (let p = 0; p < s.bytes; p += CHUNK)
          yield patternBytes.subarray(shift, shift + Math.min(CHUNK, s.bytes - p));
      })(),
    );
    total += s.bytes;
  }
  const version = new TextEncoder().encode('3\n');
  await zip.add(`${root}/version`, version.length, [version]);
  await zip.finish();
  const { size } = await handle.stat();
  await handle.close();
  console.log(
    `wrote ${path}: ${(size / 2 ** 30).toFixed(2)} GiB, ${storages.length} storages (${(total / 2 ** 30).toFixed(2)} GiB of tensors), ${weights.length} state_dict tensors, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

function toPickle(x: unknown): PickleValue {
  if (Array.isArray(x)) return x.map(toPickle);
  if (x && typeof x === 'object') return new Map(Object.entries(x).map(([k, v]) => [k, toPickle(v)]));
  return x as PickleValue;
}

await main();
