// `bridgetower vqa --image <file> --question "<text>" [--top-k K] [--json] [--model <dir>]`
import { UsageError } from '../errors';
import { checkText, flag, intOption, noPositionals, option, parseArgs, requireOptions } from './args';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE, readImageFile, truncationNote } from './task-model';

const USAGE = `usage: bridgetower vqa --image <file> --question "<text>" [--top-k K] [--json] ${MODEL_USAGE}`;

export default async function vqa(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['image', 'question', 'top-k', ...MODEL_OPTIONS],
    flags: ['json', 'help', ...MODEL_FLAGS],
  });
  if (flag(args, 'help')) {
    console.log(USAGE);
    return 0;
  }
  requireOptions(args, 'vqa', ['image', 'question']);
  noPositionals(args, 'vqa');
  const image = option(args, 'image')!;
  const question = checkText(option(args, 'question')!, '--question');
  const topK = intOption(args, 'top-k', 5)!;
  if (topK < 1) throw new UsageError('--top-k must be at least 1');
  const picture = await readImageFile(image);
  const model = await loadTaskModel(args);
  try {
    const { answers, ms, truncatedTo } = await model.vqa(picture, question, { topK });
    if (truncatedTo) console.error(truncationNote(model, 'the question', question, truncatedTo));
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ answers, ...(truncatedTo && { truncatedTo }) }));
    } else {
      const width = Math.max(...answers.map((a) => a.answer.length));
      for (const a of answers) console.log(`${a.answer.padEnd(width)}  ${a.score.toFixed(4)}`);
      console.error(`(${ms.toFixed(0)} ms, ${model.source})`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}
