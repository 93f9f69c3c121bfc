// `bridgetower preprocess --image <file> --size S --mode blip|clip|hf --out <file.safetensors>`:
// writes `pixel_values` F32 [1, 3, S, S] for comparing with other implementations. `--preprocessor-config` takes an
// HF model's preprocessor_config.json for the hf mode (its shortest edge, size divisor, crop, mean/std).
import { readFile } from 'node:fs/promises';
import { ImageError, UsageError } from '../errors';
import { parsePreprocessorConfig } from '../checkpoint/preprocessor-config';
import { writeSafetensors } from '../checkpoint/safetensors-write';
import { decodeImage } from '../preprocess/decode';
import { geometry, IMAGE_PREPROCESS_MODES, preprocessImage, type ImagePreprocess } from '../preprocess/image';
import { intOption, noPositionals, option, parseArgs, requireOptions } from './args';
import { prepareOutputFile, writeOutputFile } from './output';

/** BridgeTower reads 224 to 576 pixels; 3 x 4096^2 floats (192 MiB) is already far past any use. */
const MAX_SIZE = 4096;

const USAGE =
  'usage: bridgetower preprocess --image <file> --size S --mode blip|clip|hf [--preprocessor-config preprocessor_config.json] --out <file.safetensors>';

export default async function preprocess(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['image', 'size', 'mode', 'out', 'preprocessor-config'], flags: ['help'] });
  if (args.options.has('help')) {
    console.log(USAGE);
    return 0;
  }
  requireOptions(args, 'preprocess', ['image', 'size', 'mode', 'out']);
  noPositionals(args, 'preprocess');
  const file = option(args, 'image')!;
  const size = intOption(args, 'size')!;
  const mode = option(args, 'mode')!;
  const out = option(args, 'out')!;
  if (!(IMAGE_PREPROCESS_MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode must be one of ${IMAGE_PREPROCESS_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  if (size < 1 || size > MAX_SIZE) throw new UsageError(`--size must be between 1 and ${MAX_SIZE}, got ${size}`);
  await prepareOutputFile(out, [file]);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new ImageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const image = await decodeImage(bytes, file);
  const processorFile = option(args, 'preprocessor-config');
  if (processorFile && mode !== 'hf')
    throw new UsageError("--preprocessor-config is the hf mode's configuration: use it with --mode hf");
  let processorJson: unknown;
  if (processorFile) {
    try {
      processorJson = JSON.parse(await readFile(processorFile, 'utf8'));
    } catch (e) {
      throw new UsageError(`--preprocessor-config ${processorFile}: ${(e as Error).message}`);
    }
  }
  const processor = processorFile ? parsePreprocessorConfig(processorJson, processorFile) : undefined;
  const options = { size, mode: mode as ImagePreprocess, processor };
  const g = geometry(image.width, image.height, options);
  const data = preprocessImage(image, options);
  await writeOutputFile(
    out,
    writeSafetensors({ pixel_values: { dtype: 'F32', shape: [1, 3, size, size], data } }, { mode, source: file }),
  );
  console.log(
    `${file}: ${image.width}x${image.height} -> resized ${g.resizedWidth}x${g.resizedHeight}, window at (top ${g.top}, left ${g.left}) -> pixel_values [1,3,${size},${size}] (${mode}) in ${out}`,
  );
  return 0;
}
