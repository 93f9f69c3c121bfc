// `bridgetower embed --image <file>... --text "<t>"... [--pair] [--json] [--model <dir>]`: the model's contrastive
// embeddings (L2-normalised, its contrastive size). Text and image embeddings of one model are comparable with each
// other; --pair gives HF's cross-modal embedding of each image-text pair (HF contrastive models), comparable with
// both. Embeddings of different models, or of HF and authors' definitions, are not comparable (src/tasks/embeddings.ts).
import { UsageError } from '../errors';
import { flag, option, parseArgs } from './args';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE, readImageFile } from './task-model';

const USAGE = `usage: bridgetower embed [--image <file>]... [--text "<text>"]... [--pair] [--json] ${MODEL_USAGE}
  --image  embed an image (repeatable)
  --text   embed a text (repeatable)
  --pair   embed each --image with the --text at the same position (HF's cross-modal embedding, itc_cross)
  --json   {model, definition, dimension, logitScale, embeddings: [{kind, input, embedding}]}
Without --json: one line per embedding (kind, input, values), then the cosine similarities of texts and images.`;

interface Row {
  kind: 'text' | 'image' | 'pair';
  input: string;
  embedding: Float32Array;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

export default async function embed(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['image', 'text', ...MODEL_OPTIONS],
    flags: ['pair', 'json', 'help', ...MODEL_FLAGS],
  });
  if (flag(args, 'help')) {
    console.log(USAGE);
    return 0;
  }
  const images = args.options.get('image') ?? [];
  const texts = args.options.get('text') ?? [];
  if ((!images.length && !texts.length) || args.positionals.length) throw new UsageError(USAGE);
  const pair = flag(args, 'pair');
  if (pair && images.length !== texts.length) {
    throw new UsageError(`--pair needs as many --image as --text (got ${images.length} and ${texts.length})`);
  }
  const bytes = await Promise.all(images.map(readImageFile));
  const model = await loadTaskModel(args);
  try {
    const rows: Row[] = [];
    if (pair) {
      const e = await model.embedPairs(bytes, texts);
      e.forEach((embedding, i) =>
        rows.push({ kind: 'pair', input: `${images[i]} + ${JSON.stringify(texts[i])}`, embedding }),
      );
    } else {
      (await model.embedText(texts)).forEach((embedding, i) => rows.push({ kind: 'text', input: texts[i], embedding }));
      (await model.embedImage(bytes)).forEach((embedding, i) =>
        rows.push({ kind: 'image', input: images[i], embedding }),
      );
    }
    const logitScale = model.model.logitScale;
    if (flag(args, 'json')) {
      console.log(
        JSON.stringify({
          model: option(args, 'model') ?? 'demo',
          definition: model.definition,
          dimension: model.config.heads.itc?.dim,
          logitScale,
          embeddings: rows.map((r) => ({ kind: r.kind, input: r.input, embedding: Array.from(r.embedding) })),
        }),
      );
      return 0;
    }
    console.log(
      `# ${model.config.heads.itc?.dim}-d embeddings, definitions: ${model.model.describeDefinitions()}` +
        (logitScale !== undefined ? `; HF logit scale ${logitScale.toFixed(4)}` : ''),
    );
    for (const r of rows)
      console.log(`${r.kind}\t${r.input}\t${Array.from(r.embedding, (v) => v.toPrecision(6)).join(',')}`);
    const t = rows.filter((r) => r.kind === 'text'),
      im = rows.filter((r) => r.kind === 'image');
    if (t.length && im.length) {
      console.log('# cosine similarity, text x image');
      for (const a of t)
        console.log(`${im.map((b) => dot(a.embedding, b.embedding).toFixed(4)).join('\t')}\t${a.input}`);
    }
  } finally {
    model.dispose();
  }
  return 0;
}
