// A folder the user picked (<input webkitdirectory>) as a Directory for openWeights: our web format
// (manifest.json + shards) or an HF model folder (config.json, model.safetensors / pytorch_model.bin,
// tokenizer files). Files are read straight from disk, a slice at a time.
import { BlobSource, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { MANIFEST } from '../checkpoint/web-format';

/** Files that mark the folder a model lives in, in order of preference. */
const MODEL_MARKERS = [
  MANIFEST,
  'model.safetensors.index.json',
  'model.safetensors',
  'pytorch_model.bin.index.json',
  'pytorch_model.bin',
];

const pathOf = (f: File): string => f.webkitRelativePath || f.name;
const depth = (f: File): number => pathOf(f).split('/').length;

export class FileListDirectory implements Directory {
  private constructor(
    readonly name: string,
    private readonly files: Map<string, File>,
  ) {}

  /** The shallowest subfolder holding a model marker file; the picked folder itself when there is none. */
  static fromFiles(list: Iterable<File>): FileListDirectory {
    const all = [...list];
    let base = all.length ? `${pathOf(all[0]).split('/')[0]}/` : '';
    for (const marker of MODEL_MARKERS) {
      const found = all.filter((f) => pathOf(f).split('/').pop() === marker).sort((a, b) => depth(a) - depth(b))[0];
      if (found) {
        base = pathOf(found).slice(0, -marker.length);
        break;
      }
    }
    const files = new Map<string, File>();
    for (const f of all) if (pathOf(f).startsWith(base)) files.set(pathOf(f).slice(base.length), f);
    return new FileListDirectory(base.replace(/\/$/, '') || 'folder', files);
  }

  async open(relative: string): Promise<ByteSource | undefined> {
    const f = this.files.get(relative);
    return f && new BlobSource(f, `${this.name}/${relative}`);
  }
}
