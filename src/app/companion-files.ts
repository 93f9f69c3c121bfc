// The files picked or dropped with a checkpoint, recognised by what they contain, not by their names
// (downloads arrive as `config (1).json` or `vocab-roberta.json`): a tokenizer (vocab.json + merges.txt, or
// tokenizer.json), a model configuration (HF config.json or the original's), and a VQA label list.
import { parseLabels, parseMergesTxt, parseTokenizerJson, parseVocabJson } from '../checkpoint/tokenizer-files';
import type { BrowserConvertOptions } from '../checkpoint/web-storage-browser';
import { CheckpointError } from '../errors';

type Kind = 'vocab' | 'merges' | 'tokenizer' | 'config' | 'labels';

/** Keys that only a model configuration has (HF BridgeTowerConfig, the original's config dict). */
const CONFIG_KEYS = [
  'model_type',
  'architectures',
  'text_config',
  'vision_config',
  'loss_names',
  'vit',
  'hidden_size',
  'num_layers',
  'hiddenSize',
  'numLayers',
];
const NEITHER = 'a JSON file that is neither a tokenizer (vocab.json, tokenizer.json), a model config nor a label list';

function kindOfJson(file: string, x: unknown): Kind {
  if (Array.isArray(x)) return 'labels';
  if (!x || typeof x !== 'object') throw new CheckpointError(file, NEITHER);
  const o = x as Record<string, unknown>;
  if (o.model && typeof o.model === 'object' && 'vocab' in o.model) return 'tokenizer';
  if (CONFIG_KEYS.some((k) => k in o)) return 'config';
  if ('id2label' in o) return 'labels';
  const values = Object.values(o);
  // vocab.json maps tokens to ids; a bare label map maps "0", "1", ... to answers.
  if (values.length && values.every((v) => typeof v === 'number')) return 'vocab';
  const byIndex = Object.keys(o).every((k) => /^\d+$/.test(k));
  if (values.length && byIndex && values.every((v) => typeof v === 'string')) return 'labels';
  throw new CheckpointError(file, NEITHER);
}

async function classify(f: File): Promise<{ kind: Kind; file: File; text: string; json?: unknown }> {
  const text = await f.text();
  const name = f.name.toLowerCase();
  if (!name.endsWith('.json')) {
    if (name.endsWith('.txt')) return { kind: 'merges', file: f, text };
    throw new CheckpointError(
      f.name,
      'not a file that goes with a checkpoint: pick vocab.json + merges.txt or tokenizer.json, config.json, ' +
        'a labels JSON',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(f.name, `not valid JSON (${(e as Error).message})`);
  }
  return { kind: kindOfJson(f.name, json), file: f, text, json };
}

/** The companion files as conversion options; a file that fits nowhere, or two of a kind, is an error naming it. */
export async function companionFiles(files: File[]): Promise<BrowserConvertOptions> {
  const found = new Map<Kind, Awaited<ReturnType<typeof classify>>>();
  for (const f of files) {
    const c = await classify(f);
    const twin = found.get(c.kind);
    if (twin) {
      throw new CheckpointError(f.name, `two ${c.kind} files were picked (${twin.file.name} and ${f.name}): keep one`);
    }
    found.set(c.kind, c);
  }
  const out: BrowserConvertOptions = {};
  const vocab = found.get('vocab'),
    merges = found.get('merges'),
    tok = found.get('tokenizer');
  if (vocab && merges) {
    out.tokenizer = {
      vocab: parseVocabJson(vocab.text, vocab.file.name),
      merges: parseMergesTxt(merges.text, merges.file.name),
    };
  } else if (tok) {
    out.tokenizer = parseTokenizerJson(tok.text, tok.file.name);
  } else if (vocab || merges) {
    const have = (vocab ?? merges)!.file.name;
    const missing = vocab ? 'merges.txt' : 'vocab.json';
    throw new CheckpointError(
      have,
      `a tokenizer needs both files: pick ${missing} together with ${have} (or one tokenizer.json)`,
    );
  }
  const config = found.get('config');
  if (config) out.config = config.json;
  const labels = found.get('labels');
  if (labels) out.labels = parseLabels(labels.text, labels.file.name);
  return out;
}
