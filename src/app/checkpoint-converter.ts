// The converter: a .ckpt / .safetensors / .bin dropped or picked (with its tokenizer / config / labels files) is
// converted in the page to the chosen dtype, stored in this browser under a name said from its config, and
// loaded. Whether an unnamed text tower is RoBERTa is asked in text-tower.ts.
import { WEB_DTYPES, type WebDType } from '../checkpoint/web-format';
import { type ConvertProgress } from '../checkpoint/web-format-write';
import { requestPersistentStorage, storeWeights } from '../checkpoint/web-storage-browser';
import type { BridgeTowerConfig } from '../common/config';
import { AbortedError, CheckpointError } from '../errors';
import { byTestId, h } from './dom';
import type { JobProgress } from './job-progress';
import { HEAD_NAMES } from './model-info';
import { isAbort, setStatus } from './status';
import type { StoredModelList } from './stored-models';
import { openCheckpointAsking } from './text-tower';

const CHECKPOINT_EXTENSIONS = ['.ckpt', '.safetensors', '.bin', '.pt', '.pth'];
/** What the converter's dtype select says of each web-format dtype (a new dtype must be described here). */
const DTYPE_LABELS: Record<WebDType, string> = {
  f32: 'f32 (exact, 4 bytes a weight)',
  f16: 'f16 (half the size, 2 bytes a weight)',
  q8: 'q8 (¼ the size, near-exact)',
  q4: 'q4 (⅙ the size, some answers change)',
};
/** The weight dtypes a conversion in the page offers (the select is built from this list), first = default. */
export const CONVERT_DTYPES = WEB_DTYPES.map((dtype) => ({ dtype, label: DTYPE_LABELS[dtype] }));

export class CheckpointConverter {
  private readonly dtypeSelect = byTestId<HTMLSelectElement>('convert-dtype');

  /** `loadedName` says which model stays loaded if the conversion fails; `load` loads the stored result. */
  constructor(
    private readonly jobs: JobProgress,
    private readonly stored: StoredModelList,
    private readonly loadedName: () => string | undefined,
    private readonly load: (m: { key: string; name: string }) => Promise<void>,
  ) {
    this.dtypeSelect.replaceChildren(
      ...CONVERT_DTYPES.map((d, i) => h('option', { text: d.label, attrs: { value: d.dtype, selected: i === 0 } })),
    );
    const ckpt = byTestId<HTMLInputElement>('checkpoint-input');
    ckpt.addEventListener('change', () => {
      if (ckpt.files?.length) void this.convert([...ckpt.files]);
      ckpt.value = '';
    });
    const drop = byTestId('checkpoint-drop');
    for (const type of ['dragenter', 'dragover'] as const)
      drop.addEventListener(type, (ev) => {
        ev.preventDefault();
        drop.classList.add('dragging');
      });
    drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('dragging');
      const files = [...(ev.dataTransfer?.files ?? [])];
      if (files.length) void this.convert(files);
    });
  }

  /**
   * Convert a checkpoint (plus optional tokenizer / config / labels files picked with it) into browser storage,
   * then load it. It is stored under a key of its own, named from its config and source; only the same weights
   * stored before (by identity) are replaced, if the user says so, once the new copy is complete.
   */
  async convert(files: File[]): Promise<void> {
    const ckpts = files.filter((f) => CHECKPOINT_EXTENSIONS.some((x) => f.name.toLowerCase().endsWith(x)));
    if (ckpts.length !== 1) {
      const why = ckpts.length
        ? `${ckpts.length} checkpoints were picked (${ckpts.map((f) => f.name).join(', ')}): convert one at a time`
        : `none of these is a checkpoint: pick a file ending in ${CHECKPOINT_EXTENSIONS.join(', ')} ` +
          '(a folder made by `bridgetower convert` opens with "Open a converted folder")';
      this.jobs.fail(new CheckpointError(files.map((f) => f.name).join(', '), why), 'Converting');
      return;
    }
    const ckpt = ckpts[0];
    const dtype = this.dtypeSelect.value as WebDType;
    const controller = this.jobs.start(`Converting ${ckpt.name}`);
    const previous = this.loadedName();
    setStatus('converting', ckpt.name);
    let stored: { key: string; name: string };
    try {
      const weights = await openCheckpointAsking(ckpt, files, this.jobs.box, controller.signal);
      try {
        if (controller.signal.aborted) throw new AbortedError('cancelled');
        await requestPersistentStorage();
        const name = await this.stored.freeName(modelTitle(weights.config, dtype, ckpt.name));
        const { key, identity } = await storeWeights(weights, {
          name,
          dtype,
          source: ckpt.name,
          signal: controller.signal,
          onProgress: (p: ConvertProgress) =>
            this.jobs.show('Converting', p.bytes, p.totalBytes, p.tensors, p.totalTensors),
        });
        stored = { key, name: await this.stored.replaceSameWeights({ key, name }, identity) };
      } finally {
        await weights.close();
      }
      if (!this.jobs.end(controller)) return;
    } catch (e) {
      await this.stored.refresh();
      if (!this.jobs.end(controller)) return;
      setStatus(previous !== undefined ? 'ready' : isAbort(e) ? 'cancelled' : 'error', previous ?? ckpt.name);
      const kept = 'nothing new was stored; the models already stored are untouched';
      if (isAbort(e) || controller.signal.aborted) this.jobs.fail(kept, `Converting ${ckpt.name} was cancelled`);
      else this.jobs.fail(e, `Converting ${ckpt.name} failed (${kept})`);
      return;
    }
    await this.stored.refresh();
    await this.load(stored);
  }
}

/**
 * A stored model's name from what it is: width, depth, picture size, heads and dtype from its config, then the
 * checkpoint it came from (two fine-tunings of one architecture differ only there; HF's generic
 * model.safetensors / pytorch_model.bin say nothing and are left out).
 */
export function modelTitle(c: BridgeTowerConfig, dtype: string, source?: string): string {
  const size = c.hiddenSize === 768 ? 'base' : c.hiddenSize === 1024 ? 'large' : `${c.hiddenSize}-wide`;
  const depth =
    c.vision.layers === c.text.layers ? `${c.text.layers}-layer` : `${c.vision.layers}/${c.text.layers}-layer`;
  const heads = HEAD_NAMES.filter((x) => c.heads[x]).map((x) => x.toUpperCase());
  const stem = source?.replace(/\.(ckpt|safetensors|bin|pt|pth)$/i, '');
  const from = stem && !/^(model|pytorch_model)$/.test(stem) ? ` · ${stem}` : '';
  return `BridgeTower ${size} ${depth} ${c.vision.imageSize}px${heads.length ? ` ${heads.join('+')}` : ''} ${dtype}${from}`;
}
