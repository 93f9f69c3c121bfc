// `bridgetower index <folder|file>... --out photos.btindex [--batch B] [--json] [--model …]`: encode pictures into
// a search index (src/search). Folders are walked recursively for pictures; an existing --out is resumed (its
// pictures are not encoded again) and is saved every few seconds while indexing and on Ctrl-C, so an
// interrupted run loses at most the last seconds. Ctrl-C stops the batch under way at the next stage of its
// forward pass (a few image layers) and adds none of it; every save writes a .partial file and renames it over
// --out, so the file is always a whole index. Unreadable pictures are skipped and counted in the summary.
import { readdir, readFile, rename, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { AbortedError, UsageError } from '../errors';
import { SearchIndex, type AddSummary, type IndexItem } from '../search/search-index';
import type { TaskProgress } from '../tasks/types';
import { flag, intOption, option, parseArgs, requireOptions } from './args';
import { prepareOutputFile, writeOutputFile } from './output';
import { loadTaskModel, MODEL_FLAGS, MODEL_OPTIONS, MODEL_USAGE } from './task-model';

const USAGE = `usage: bridgetower index <folder | picture>... --out <file.btindex> [--batch B] [--json] ${MODEL_USAGE}
  Folders are searched recursively for .png .jpg .jpeg .webp .gif .bmp files; pictures named on the command
  line are taken whatever their extension. An existing --out index is resumed: pictures already in it are skipped.
  --batch  pictures per forward pass (default 8)
  --json   print the summary as JSON: {added, skipped, failed: [{id, reason}], entries, seconds, picturesPerSecond}
Entries are named by their path relative to the folder of --out (bridgetower search reads them from there).`;

const PICTURE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp']);
/** The index is written at most this often while indexing (and at the end, and on Ctrl-C). */
const SAVE_EVERY_MS = 10_000;

export default async function index(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['out', 'batch', ...MODEL_OPTIONS], flags: ['json', 'help', ...MODEL_FLAGS] });
  if (flag(args, 'help')) {
    console.log(USAGE);
    return 0;
  }
  requireOptions(args, 'index', ['out']);
  if (!args.positionals.length) throw new UsageError(`index needs folders or pictures to index\n${USAGE}`);
  const out = option(args, 'out')!;
  const batchSize = intOption(args, 'batch', 8)!;
  if (batchSize < 1) throw new UsageError('--batch must be at least 1');
  const files = await picturesIn(args.positionals);
  await prepareOutputFile(out, files);
  const base = dirname(resolve(out));
  const existing = await readFile(out).catch(() => undefined);
  const model = await loadTaskModel(args);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    const probe = { signal: controller.signal };
    let searchIndex: SearchIndex;
    try {
      searchIndex = existing
        ? await SearchIndex.load(new Uint8Array(existing), model, out, probe)
        : await SearchIndex.create(model, probe);
    } catch (e) {
      if (!(e instanceof AbortedError)) throw e;
      console.error(`\ninterrupted before indexing; ${out} is as it was`);
      return 130;
    }
    const items: IndexItem[] = files.map((path) => ({
      id: relative(base, path).split(sep).join('/'),
      image: async () => new Uint8Array(await readFile(path)),
    }));
    let saved = Date.now();
    const save = async () => {
      await writeOutputFile(`${out}.partial`, searchIndex.save());
      await rename(`${out}.partial`, out);
      saved = Date.now();
    };
    const started = performance.now();
    let summary: AddSummary | undefined;
    try {
      summary = await searchIndex.add(items, {
        batchSize,
        signal: controller.signal,
        onProgress: progressLine(),
        onBatch: async (s) => {
          summary = s;
          if (Date.now() - saved >= SAVE_EVERY_MS) await save();
        },
      });
    } catch (e) {
      if (!(e instanceof AbortedError)) throw e;
      await save();
      console.error(
        `\ninterrupted: ${searchIndex.size} pictures are in ${out}; run the same command again to index the rest`,
      );
      return 130;
    }
    await save();
    const seconds = (performance.now() - started) / 1000;
    const picturesPerSecond = summary.added / seconds;
    if (flag(args, 'json')) {
      console.log(JSON.stringify({ ...summary, entries: searchIndex.size, seconds, picturesPerSecond }));
    } else {
      console.log(
        `${out}: ${searchIndex.size} pictures; ${summary.added} added in ${seconds.toFixed(1)} s ` +
          `(${picturesPerSecond.toFixed(2)} pictures/s, ${batchSize} per pass), ${summary.skipped} already indexed, ` +
          `${summary.failed.length} unreadable`,
      );
      for (const f of summary.failed.slice(0, 20)) console.log(`  unreadable: ${f.id}: ${f.reason}`);
      if (summary.failed.length > 20) console.log(`  … and ${summary.failed.length - 20} more`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    model.dispose();
  }
}

/** Every picture named or under a named folder, sorted, each once. */
async function picturesIn(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && PICTURE_EXTENSIONS.has(extname(e.name).toLowerCase())) found.add(p);
    }
  };
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new UsageError(`${p}: no such file or folder`);
    if (s.isDirectory()) await walk(resolve(p));
    else found.add(resolve(p));
  }
  if (!found.size) throw new UsageError(`no pictures in ${paths.join(', ')}`);
  return [...found].sort();
}

/** Progress on one rewritten stderr line when it is a terminal; nothing otherwise. */
function progressLine(): ((p: TaskProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const t0 = performance.now();
  return (p) => {
    const rate = p.done / ((performance.now() - t0) / 1000);
    process.stderr.write(`\r${p.stage} ${p.done}/${p.total} (${rate.toFixed(1)}/s)   `);
    if (p.done === p.total) process.stderr.write('\n');
  };
}
