// `bridgetower tokenize --vocab V --merges M [--max-length N] "<text>"` (or `--tokenizer tokenizer.json`):
// prints the RoBERTa ids, with <s> and </s>, as a JSON array.
import { readFile } from 'node:fs/promises';
import { TokenizerError, UsageError } from '../errors';
import { RobertaTokenizer } from '../preprocess/tokenizer';
import { intOption, option, parseArgs } from './args';

const USAGE = 'usage: bridgetower tokenize (--vocab vocab.json --merges merges.txt | --tokenizer tokenizer.json) [--max-length N] "<text>"';

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new TokenizerError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export default async function tokenize(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['vocab', 'merges', 'tokenizer', 'max-length'], flags: ['help'] });
  if (args.options.has('help')) { console.log(USAGE); return 0; }
  const vocab = option(args, 'vocab');
  const merges = option(args, 'merges');
  const json = option(args, 'tokenizer');
  const maxLength = intOption(args, 'max-length');
  if (args.positionals.length !== 1) throw new UsageError(`${USAGE}\n(expected exactly one text, got ${args.positionals.length})`);
  let tokenizer: RobertaTokenizer;
  if (json && !vocab && !merges) tokenizer = RobertaTokenizer.fromTokenizerJson(await readText(json), json);
  else if (vocab && merges && !json) tokenizer = RobertaTokenizer.fromVocabMerges(await readText(vocab), await readText(merges), vocab);
  else throw new UsageError(USAGE);
  console.log(JSON.stringify(tokenizer.encode(args.positionals[0], maxLength)));
  return 0;
}
