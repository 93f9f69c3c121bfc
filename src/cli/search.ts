// `bridgetower search <file.btindex> "<text>" [--top-k K] [--rerank N] [--json] [--model …]`: search an index made
// by `bridgetower index`; `--image <picture>` searches by example picture instead; `--export <file.npy|.jsonl>`
// writes the vectors and entries out for a vector database (no model needed).
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { IndexFileError, UsageError } from '../errors';
import { toJsonLines, toNpy } from '../search/export';
import { readIndexFile } from '../search/index-file';
import { SearchIndex, type SearchHit } from '../search/search-index';
import { checkText, flag, intOption, option, parseArgs } from './args';
import { prepareOutputFile, writeOutputFile } from './output';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE, readImageFile } from './task-model';

const USAGE = `usage: bridgetower search <file.btindex> "<text>" [--top-k K] [--rerank N] [--json] ${MODEL_USAGE}
       bridgetower search <file.btindex> --image <picture> [--top-k K] [--json] [--model …]
       bridgetower search <file.btindex> --export <file.npy | file.jsonl>
  --top-k   hits shown (default 10)
  --rerank  re-rank the best N by ITM (or HF's cross-modal embedding), reading those pictures again (default 16);
            0: the ITC order alone
  --json    {query, reranker, hits: [{id, itc, itcRank, rerank?, text?, meta?}]}
  --export  .npy: the vectors, float32 [entries, dimension], and <file>.entries.jsonl beside it (line i: entry i);
            .jsonl: one line per entry with its vector`;

export default async function search(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['top-k', 'rerank', 'image', 'export', ...MODEL_OPTIONS],
    flags: ['json', 'help', ...MODEL_FLAGS],
  });
  if (flag(args, 'help')) {
    console.log(USAGE);
    return 0;
  }
  const [file, query, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError(USAGE);
  const bytes = await readFile(file).then(
    (b) => new Uint8Array(b),
    (e: NodeJS.ErrnoException) => {
      throw new IndexFileError(file, `cannot read (${e.code ?? e.message})`);
    },
  );
  const exportTo = option(args, 'export');
  if (exportTo !== undefined) {
    if (query !== undefined) throw new UsageError('--export takes no query');
    return exportIndex(bytes, file, exportTo);
  }
  const image = option(args, 'image');
  if ((query === undefined) === (image === undefined))
    throw new UsageError(`give a text or --image, not both\n${USAGE}`);
  if (query !== undefined) checkText(query, 'the query');
  const topK = intOption(args, 'top-k', 10)!;
  const rerank = intOption(args, 'rerank', 16)!;
  if (topK < 1) throw new UsageError('--top-k must be at least 1');
  if (rerank < 0) throw new UsageError('--rerank must be 0 or more');
  const example = image === undefined ? undefined : await readImageFile(image);
  const model = await loadTaskModel(args);
  try {
    const index = await SearchIndex.load(bytes, model, file);
    const base = dirname(resolve(file));
    const hits = example
      ? await index.searchImage(example, { topK })
      : await index.searchText(query, {
          topK,
          rerank,
          pictures: async (e) => readImageFile(join(base, e.id)),
        });
    const reranker = example || !rerank ? undefined : index.reranker;
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ query: query ?? { image }, reranker, hits: hits.map(hitJson) }));
      return 0;
    }
    const scoreName = reranker === 'itm' ? 'ITM' : reranker === 'cross' ? 'cross' : 'ITC';
    console.log(`# ${index.size} entries; ${scoreName} score, ITC cosine, place by ITC, entry`);
    for (const h of hits) {
      const score = h.rerank ?? h.itc;
      const moved = h.rerank === undefined ? '' : `#${h.itcRank + 1}`;
      console.log(
        `${score.toFixed(4)}\t${h.itc.toFixed(4)}\t${moved}\t${h.id}${h.entry.text ? `\t${h.entry.text}` : ''}`,
      );
    }
  } finally {
    model.dispose();
  }
  return 0;
}

function hitJson(h: SearchHit) {
  const { id, itc, itcRank, rerank, entry } = h;
  return { id, itc, itcRank, rerank, text: entry.text, meta: entry.meta };
}

async function exportIndex(bytes: Uint8Array, file: string, to: string): Promise<number> {
  const ext = extname(to).toLowerCase();
  if (ext !== '.npy' && ext !== '.jsonl') throw new UsageError(`--export ${to}: give a .npy or a .jsonl file`);
  const index = readIndexFile(bytes, file);
  await prepareOutputFile(to, [file]);
  const n = index.entries.length,
    D = index.model.dimension;
  if (ext === '.npy') {
    const entries = `${to.slice(0, -ext.length)}.entries.jsonl`;
    await writeOutputFile(to, toNpy(index.vectors, n, D));
    await writeOutputFile(entries, new TextEncoder().encode(toJsonLines(index.entries)));
    console.log(`${to}: float32 [${n}, ${D}]; ${entries}: ${n} entries`);
  } else {
    await writeOutputFile(to, new TextEncoder().encode(toJsonLines(index.entries, index.vectors)));
    console.log(`${to}: ${n} entries with their ${D}-d vectors`);
  }
  return 0;
}
