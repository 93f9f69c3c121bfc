// `bridgetower run`: one forward pass for scripts. Inputs come as token ids on the command line and pixel
// values in a safetensors file (as `bridgetower preprocess` writes them, or a fixture's inputs.safetensors);
// the requested outputs are written to a safetensors file as F32.
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors';
import type { HostTensor } from '../common/tensor';
import { createNodeGpu } from '../gpu/node';
import type { HostArray, IdData } from '../model/bridgetower';
import { writeSafetensors, type WritableTensor } from '../checkpoint/safetensors-write';
import { flag, noPositionals, option, parseArgs, requireOptions } from './args';
import { loadModel, readSafetensorsFile } from '../verify/load-model';
import { prepareOutputFile, writeOutputFile } from './output';

const HELP = `usage: bridgetower run --model <dir|file> --pixels <file.safetensors> [--input-ids "0,713,2"]... [--attention-mask "1,1,1"]...
         [--pixels2 <file.safetensors>] [--outputs a,b,...] [--config config.json] --out <file.safetensors>
  --model           a web-format directory, .ckpt, HF .safetensors/.bin, sharded index, or hf:ORG/NAME[@REV]
  --no-cache        with hf:, neither read nor write the converted-model cache
  --pixels          safetensors with pixel_values [B|1, 3, S, S]; may also hold input_ids and attention_mask
  --input-ids       one text row per option, comma-separated ids; shorter rows are padded with <pad> (mask 0)
  --attention-mask  one row per --input-ids row (default: 1 for given ids, 0 for padding)
  --pixels2         NLVR2's second image (or pixel_values_2 in --pixels)
  --outputs         names as in expected.safetensors (default: the features and every head the model has), e.g.
                    itc_text, itc_image, itc_cross [B, D] and itc_logits [B, 3, D] (HF contrastive models), itm.* (the
                    authors' ITM path of itm_itc models where it differs)`;

function parseRows(values: string[], what: string): number[][] {
  return values.map((v, r) =>
    v.split(',').map((s) => {
      const n = Number(s.trim());
      if (s.trim() === '' || !Number.isSafeInteger(n))
        throw new UsageError(`${what} row ${r}: ${JSON.stringify(s)} is not an integer`);
      return n;
    }),
  );
}

function pixelTensor(file: Map<string, HostTensor>, name: string, path: string): HostArray<Float32Array> | undefined {
  const t = file.get(name) ?? (name === 'pixel_values' && file.size === 1 ? [...file.values()][0] : undefined);
  if (!t) return undefined;
  if (t.dtype !== 'f32') throw new UsageError(`${path}: ${name} is ${t.dtype}, expected F32`);
  return { shape: t.shape, data: t.data as Float32Array };
}

async function readConfig(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
}

/** A batch-1 image repeated for every text row. */
function repeatBatch(p: HostArray<Float32Array>, B: number): HostArray<Float32Array> {
  if (p.shape[0] !== 1 || B === 1) return p;
  const data = new Float32Array(p.data.length * B);
  for (let b = 0; b < B; b++) data.set(p.data, b * p.data.length);
  return { shape: [B, ...p.shape.slice(1)], data };
}

export default async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['model', 'pixels', 'pixels2', 'input-ids', 'attention-mask', 'outputs', 'config', 'out'],
    flags: ['help', 'no-cache'],
  });
  if (flag(args, 'help')) {
    console.log(HELP);
    return 0;
  }
  requireOptions(args, 'run', ['model', 'out']);
  noPositionals(args, 'run');
  const modelPath = option(args, 'model')!,
    pixelsPath = option(args, 'pixels'),
    out = option(args, 'out')!;
  const outputs = option(args, 'outputs')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  await prepareOutputFile(out, [modelPath, pixelsPath, option(args, 'pixels2'), option(args, 'config')]);
  const file = pixelsPath ? await readSafetensorsFile(pixelsPath) : new Map<string, HostTensor>();
  const pixels2Path = option(args, 'pixels2');
  const file2 = pixels2Path ? await readSafetensorsFile(pixels2Path) : file;

  let inputIds: HostArray<IdData> | undefined;
  let attentionMask: HostArray<IdData> | undefined;
  const idRows = parseRows(args.options.get('input-ids') ?? [], '--input-ids');
  const maskRows = parseRows(args.options.get('attention-mask') ?? [], '--attention-mask');
  if (idRows.length) {
    if (maskRows.length && maskRows.length !== idRows.length)
      throw new UsageError(`${maskRows.length} --attention-mask rows for ${idRows.length} --input-ids rows`);
    const L = Math.max(...idRows.map((r) => r.length));
    const B = idRows.length;
    const ids = new Int32Array(B * L).fill(1);
    const mask = new Int32Array(B * L);
    idRows.forEach((row, b) => {
      ids.set(row, b * L);
      if (maskRows.length) {
        if (maskRows[b].length !== row.length)
          throw new UsageError(`--attention-mask row ${b} has ${maskRows[b].length} values for ${row.length} ids`);
        mask.set(maskRows[b], b * L);
      } else {
        mask.fill(1, b * L, b * L + row.length);
      }
    });
    inputIds = { shape: [B, L], data: ids };
    attentionMask = { shape: [B, L], data: mask };
  } else if (file.has('input_ids')) {
    const t = file.get('input_ids')!;
    inputIds = { shape: t.shape, data: t.data as IdData };
    const m = file.get('attention_mask');
    if (m) attentionMask = { shape: m.shape, data: m.data as IdData };
  }
  const B = inputIds?.shape[0] ?? 1;
  const p1 = pixelTensor(file, 'pixel_values', pixelsPath ?? '');
  const p2 = pixelTensor(file2, pixels2Path ? 'pixel_values' : 'pixel_values_2', pixels2Path ?? pixelsPath ?? '');
  const configPath = option(args, 'config');
  const config = configPath ? await readConfig(configPath) : undefined;

  const gpu = await createNodeGpu();
  try {
    const model = await loadModel(gpu, modelPath, { config, cache: !flag(args, 'no-cache') });
    try {
      console.log(`definitions: ${model.describeDefinitions()}`);
      const t0 = performance.now();
      const result = await model.forward(
        {
          inputIds,
          attentionMask,
          pixelValues: p1 && repeatBatch(p1, B),
          pixelValues2: p2 && repeatBatch(p2, B),
        },
        { outputs },
      );
      const ms = performance.now() - t0;
      const tensors: Record<string, WritableTensor> = {};
      for (const [name, t] of result) {
        tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
        console.log(`${name} [${t.shape.join(', ')}]`);
      }
      await writeOutputFile(out, writeSafetensors(tensors, { model: modelPath, definition: model.definition }));
      console.log(
        `wrote ${result.size} tensors to ${out} (forward ${(ms / 1000).toFixed(2)} s on ${gpu.adapterDescription})`,
      );
    } finally {
      model.dispose();
    }
  } finally {
    gpu.destroy();
  }
  return 0;
}
