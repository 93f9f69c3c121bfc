// `bridgetower convert <checkpoint> --out <dir>`: any checkpoint (.ckpt zip or legacy, HF .bin or
// .safetensors, sharded index, web format) -> the web format, one tensor at a time.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors';
import type { ImagePreprocess } from '../common/config';
import { NodeDirSink, openPathWeights } from '../checkpoint/source-node';
import {
  checkTokenizerFits,
  parseLabels,
  parseMergesTxt,
  parseTokenizerJson,
  parseVocabJson,
} from '../checkpoint/tokenizer-files';
import { isWebDType, WEB_DTYPES } from '../checkpoint/web-format';
import { writeWebFormat, type ConvertProgress } from '../checkpoint/web-format-write';
import type { TokenizerFiles } from '../common/weight-set';
import { isTextTower, TEXT_TOWERS } from '../checkpoint/facts-authors';
import { intOption, option, parseArgs } from './args';

const HELP = `usage: bridgetower convert <checkpoint> --out <dir> [--dtype f32|f16|q8|q4] [--image-size S]
         [--config config.json] [--vocab vocab.json --merges merges.txt | --tokenizer tokenizer.json]
         [--labels labels.json] [--image-preprocess blip|clip|hf] [--text-tower roberta]
  --text-tower  the text tower of an authors' checkpoint whose config's tokenizer name does not say which
                (a tokenizer of one's own); a name that says BERT is refused either way`;

const NO_TOKENIZER =
  'warning: no tokenizer files (--vocab with --merges, or --tokenizer): the converted model will ' +
  'run `bridgetower run` and `verify` on token ids, but cannot take text (vqa, match, tokenize, the app) ' +
  'until converted with them';

async function text(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function json(s: string, path: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function progressBar(): ((p: ConvertProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.tensors < p.totalTensors) return;
    last = now;
    const width = 30;
    const frac = p.totalBytes ? p.bytes / p.totalBytes : 1;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    process.stderr.write(
      `\r[${bar}] ${(frac * 100).toFixed(0).padStart(3)}%  ${p.tensors}/${p.totalTensors} tensors  ${mib(p.bytes)}/${mib(p.totalBytes)}\x1b[K`,
    );
    if (p.tensors === p.totalTensors) process.stderr.write('\n');
  };
}

export default async function convert(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: [
      'out',
      'dtype',
      'image-size',
      'config',
      'vocab',
      'merges',
      'tokenizer',
      'labels',
      'image-preprocess',
      'text-tower',
    ],
    flags: ['help'],
  });
  if (args.options.has('help')) {
    console.log(HELP);
    return 0;
  }
  if (args.positionals.length !== 1) {
    throw new UsageError(
      `convert takes one checkpoint path, got ${args.positionals.length} (see bridgetower convert --help)`,
    );
  }
  const out = option(args, 'out');
  if (out === undefined) throw new UsageError('convert needs --out <dir> (see bridgetower convert --help)');
  if (out.trim() === '') throw new UsageError('--out is empty');
  if (resolve(out) === resolve(args.positionals[0])) {
    throw new UsageError(`--out ${out} is the model being converted; give another folder`);
  }
  if ((await stat(out).catch(() => undefined))?.isDirectory() === false) {
    throw new UsageError(`--out ${out} is a file; convert writes a folder`);
  }
  const dtype = option(args, 'dtype', 'f32');
  if (!isWebDType(dtype))
    throw new UsageError(`--dtype must be ${WEB_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  const preprocess = option(args, 'image-preprocess');
  if (preprocess !== undefined && !['blip', 'clip', 'hf'].includes(preprocess))
    throw new UsageError(`--image-preprocess must be blip, clip or hf, got ${JSON.stringify(preprocess)}`);
  const textTower = option(args, 'text-tower');
  if (textTower !== undefined && !isTextTower(textTower))
    throw new UsageError(`--text-tower must be ${TEXT_TOWERS.join(', ')}, got ${JSON.stringify(textTower)}`);
  const imageSize = intOption(args, 'image-size');
  if (imageSize !== undefined && imageSize <= 0) throw new UsageError('--image-size must be positive');

  let tokenizer: TokenizerFiles | undefined;
  const vocab = option(args, 'vocab'),
    merges = option(args, 'merges'),
    tokenizerJson = option(args, 'tokenizer');
  if (tokenizerJson && (vocab || merges))
    throw new UsageError('give either --tokenizer or --vocab with --merges, not both');
  if (!!vocab !== !!merges) throw new UsageError('--vocab and --merges go together');
  if (vocab && merges)
    tokenizer = {
      vocab: parseVocabJson(await text(vocab, '--vocab'), vocab),
      merges: parseMergesTxt(await text(merges, '--merges'), merges),
    };
  if (tokenizerJson) tokenizer = parseTokenizerJson(await text(tokenizerJson, '--tokenizer'), tokenizerJson);
  const labelsPath = option(args, 'labels');
  const labels = labelsPath ? parseLabels(await text(labelsPath, '--labels'), labelsPath) : undefined;
  const configPath = option(args, 'config');
  const config = configPath ? json(await text(configPath, '--config'), configPath) : undefined;

  const weights = await openPathWeights(args.positionals[0], {
    config,
    imageSize,
    imagePreprocess: preprocess as ImagePreprocess | undefined,
    tokenizer,
    labels,
    textTower,
  });
  try {
    const vqa = weights.config.heads.vqa;
    if (labels && vqa && labels.length !== vqa.outFeatures)
      throw new UsageError(
        `--labels ${labelsPath} has ${labels.length} labels, the VQA head has ${vqa.outFeatures} outputs`,
      );
    if (weights.tokenizer) checkTokenizerFits(weights.tokenizer, weights.config.text.vocabSize, args.positionals[0]);
    else console.error(NO_TOKENIZER);
    if (vqa && !weights.labels)
      console.error('warning: no VQA answer labels (--labels labels.json): vqa will name answers by their index');
    const summary = await writeWebFormat(weights, new NodeDirSink(out), { dtype, onProgress: progressBar() });
    console.log(
      `converted ${args.positionals[0]} (${weights.format}) -> ${out}: ${summary.tensorsKept} tensors kept, ${summary.tensorsSkipped} skipped, ` +
        `${mib(summary.bytes)} ${dtype} in ${summary.shards} shard${summary.shards === 1 ? '' : 's'}, ${summary.seconds.toFixed(1)} s` +
        `${weights.tokenizer ? '' : ', no tokenizer'}`,
    );
  } finally {
    await weights.close();
  }
  return 0;
}
