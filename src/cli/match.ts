// `bridgetower match --image <file> --text "<t1>" --text "<t2>" ... [--json] [--model <dir>]`
import { UsageError } from '../errors';
import { flag, option, parseArgs } from './args';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE, readImageFile } from './task-model';

const USAGE = `usage: bridgetower match --image <file> --text "<caption>" [--text "<caption>" ...] [--json] ${MODEL_USAGE}`;

export default async function match(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['image', 'text', ...MODEL_OPTIONS], flags: ['json', 'help', ...MODEL_FLAGS] });
  if (flag(args, 'help')) { console.log(USAGE); return 0; }
  const image = option(args, 'image');
  const texts = args.options.get('text') ?? [];
  if (!image || texts.length === 0 || args.positionals.length) throw new UsageError(USAGE);
  const bytes = await readImageFile(image);
  const model = await loadTaskModel(args);
  try {
    const results = await model.match(bytes, texts);
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ results }));
    } else {
      for (const r of results) console.log(`itm ${r.itm.toFixed(4)}  itc ${Number.isNaN(r.itc) ? '  n/a ' : r.itc.toFixed(4)}  ${r.text}`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}
