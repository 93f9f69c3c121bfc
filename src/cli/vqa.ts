// `bridgetower vqa --image <file> --question "<text>" [--top-k K] [--json] [--model <dir>]`
import { UsageError } from '../errors';
import { flag, intOption, option, parseArgs } from './args';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE, readImageFile } from './task-model';

const USAGE = `usage: bridgetower vqa --image <file> --question "<text>" [--top-k K] [--json] ${MODEL_USAGE}`;

export default async function vqa(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['image', 'question', 'top-k', ...MODEL_OPTIONS], flags: ['json', 'help', ...MODEL_FLAGS] });
  if (flag(args, 'help')) { console.log(USAGE); return 0; }
  const image = option(args, 'image');
  const question = option(args, 'question');
  const topK = intOption(args, 'top-k', 5)!;
  if (!image || question === undefined || args.positionals.length) throw new UsageError(USAGE);
  if (topK < 1) throw new UsageError('--top-k must be at least 1');
  const bytes = await readImageFile(image);
  const model = await loadTaskModel(args);
  try {
    const { answers, ms } = await model.vqa(bytes, question, { topK });
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ answers }));
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
