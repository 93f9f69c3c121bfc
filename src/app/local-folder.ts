// A folder the user picked (<input webkitdirectory>) as a Directory for openWeights: our web format
// (manifest.json + shards) or an HF model folder (config.json, model.safetensors / pytorch_model.bin,
// tokenizer files). Files are read straight from disk, a slice at a time. A folder holding only a checkpoint to
// convert (a training run's model.ckpt) is pointed to the converter.
import { BlobSource, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { MANIFEST } from '../checkpoint/web-format';
import { CheckpointError } from '../errors';

/** Files that mark the folder a model lives in, in order of preference. */
const MODEL_MARKERS = [
  MANIFEST,
  'model.safetensors.index.json',
  'model.safetensors',
  'pytorch_model.bin.index.json',
  'pytorch_model.bin',
];
/** Checkpoints that a folder without a marker may hold, to be converted instead (not .bin: web-format shards). */
const UNCONVERTED = ['.ckpt', '.pt', '.pth', '.safetensors'];

const pathOf = (f: File): string => f.webkitRelativePath || f.name;
const depth = (f: File): number => pathOf(f).split('/').length;

export class FileListDirectory implements Directory {
  private constructor(
    readonly name: string,
    private readonly files: Map<string, File>,
    private readonly marked: boolean,
  ) {}

  /** The shallowest subfolder holding a model marker file; the picked folder itself when there is none. */
  static fromFiles(list: Iterable<File>): FileListDirectory {
    const all = [...list];
    let base = all.length ? `${pathOf(all[0]).split('/')[0]}/` : '';
    let marked = false;
    for (const marker of MODEL_MARKERS) {
      const found = all.filter((f) => pathOf(f).split('/').pop() === marker).sort((a, b) => depth(a) - depth(b))[0];
      if (found) {
        base = pathOf(found).slice(0, -marker.length);
        marked = true;
        break;
      }
    }
    const files = new Map<string, File>();
    for (const f of all) if (pathOf(f).startsWith(base)) files.set(pathOf(f).slice(base.length), f);
    return new FileListDirectory(base.replace(/\/$/, '') || 'folder', files, marked);
  }

  /** This folder to load; one with no model in it but a checkpoint (a training run's) says how to convert that. */
  loadable(): FileListDirectory {
    const ckpt = this.marked
      ? undefined
      : [...this.files.keys()].find((f) => UNCONVERTED.some((x) => f.toLowerCase().endsWith(x)));
    if (ckpt)
      throw new CheckpointError(
        `${this.name}/${ckpt}`,
        'a checkpoint, not a converted model: convert it with "Choose files…" under "Convert a checkpoint here", ' +
          'picking its vocab.json + merges.txt (or tokenizer.json) and labels JSON with it',
      );
    return this;
  }

  async open(relative: string): Promise<ByteSource | undefined> {
    const f = this.files.get(relative);
    return f && new BlobSource(f, `${this.name}/${relative}`);
  }
}
