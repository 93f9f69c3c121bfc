// `bridgetower tokenize [--vocab V --merges M | --tokenizer tokenizer.json | --model M] [--max-length N] "<text>"`:
// prints the RoBERTa ids, with <s> and </s>, as a JSON array. Without files, the tokenizer of --model, or of
// the bundled demo model, as `vqa` uses.
import { readFile } from 'node:fs/promises';
import { TokenizerError, UsageError } from '../errors';
import { RobertaTokenizer } from '../preprocess/tokenizer';
import { openModelWeights } from '../hub/open-path';
import { demoModelPath } from '../tasks/node';
import { checkText, intOption, option, parseArgs } from './args';

const USAGE =
  'usage: bridgetower tokenize [--vocab vocab.json --merges merges.txt | --tokenizer tokenizer.json | --model M] ' +
  '[--max-length N] "<text>"   (default: the demo model\'s tokenizer)';

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new TokenizerError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The tokenizer stored with a model (web-format directory, or a checkpoint with tokenizer files beside it). */
async function modelTokenizer(path: string): Promise<RobertaTokenizer> {
  const weights = await openModelWeights(path);
  try {
    if (!weights.tokenizer)
      throw new TokenizerError(`${path} has no tokenizer files; give --vocab and --merges, or --tokenizer`);
    return new RobertaTokenizer(weights.tokenizer);
  } finally {
    await weights.close();
  }
}

export default async function tokenize(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['vocab', 'merges', 'tokenizer', 'model', 'max-length'], flags: ['help'] });
  if (args.options.has('help')) {
    console.log(USAGE);
    return 0;
  }
  const vocab = option(args, 'vocab');
  const merges = option(args, 'merges');
  const json = option(args, 'tokenizer');
  const model = option(args, 'model');
  const maxLength = intOption(args, 'max-length');
  if (maxLength !== undefined && maxLength < 2)
    throw new UsageError(`--max-length must be at least 2 (room for <s> and </s>), got ${maxLength}`);
  if (args.positionals.length !== 1)
    throw new UsageError(`tokenize takes one text, got ${args.positionals.length} (see bridgetower tokenize --help)`);
  const text = checkText(args.positionals[0], 'the text');
  if ([vocab || merges, json, model].filter(Boolean).length > 1) {
    throw new UsageError('give one tokenizer: --vocab with --merges, --tokenizer, or --model');
  }
  if (!!vocab !== !!merges) throw new UsageError('--vocab and --merges go together');
  let tokenizer: RobertaTokenizer;
  if (json) tokenizer = RobertaTokenizer.fromTokenizerJson(await readText(json), json);
  else if (vocab && merges)
    tokenizer = RobertaTokenizer.fromVocabMerges(await readText(vocab), await readText(merges), vocab, merges);
  else tokenizer = await modelTokenizer(model ?? demoModelPath());
  console.log(JSON.stringify(tokenizer.encode(text, maxLength)));
  return 0;
}
