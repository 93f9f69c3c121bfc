// `bridgetower match --image <file> --text "<t1>" --text "<t2>" ... [--json] [--model <dir>]`
import { checkText, flag, noPositionals, option, parseArgs, requireOptions } from './args';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE, readImageFile, truncationNote } from './task-model';

const USAGE = `usage: bridgetower match --image <file> --text "<caption>" [--text "<caption>" ...] [--json] ${MODEL_USAGE}`;

export default async function match(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['image', 'text', ...MODEL_OPTIONS],
    flags: ['json', 'help', ...MODEL_FLAGS],
  });
  if (flag(args, 'help')) {
    console.log(USAGE);
    return 0;
  }
  requireOptions(args, 'match', ['image', 'text']);
  noPositionals(args, 'match');
  const image = option(args, 'image')!;
  const texts = args.options.get('text')!;
  texts.forEach((t, i) => checkText(t, texts.length > 1 ? `--text #${i + 1}` : '--text'));
  const picture = await readImageFile(image);
  const model = await loadTaskModel(args);
  try {
    const results = await model.match(picture, texts);
    for (const r of results)
      if (r.truncatedTo) console.error(truncationNote(model, JSON.stringify(r.text), r.text, r.truncatedTo));
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ results }));
    } else {
      for (const r of results)
        console.log(`itm ${r.itm.toFixed(4)}  itc ${Number.isNaN(r.itc) ? '  n/a ' : r.itc.toFixed(4)}  ${r.text}`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}
