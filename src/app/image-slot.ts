// One picked image: a file input, drag-and-drop onto the preview, and the demo's sample pictures. The preview
// carries a canvas on top of the picture for the cross-attention heatmap.
import { ImageError } from '../errors';
import { h } from './dom';
import { SAMPLES, sampleBlob, type Sample } from './samples';
import { clearError, showError } from './status';

export interface PickedImage {
  blob: Blob;
  name: string;
  width: number;
  height: number;
  /** The sample it came from, if any (its questions and captions become suggestions). */
  sample?: Sample;
}

/** Small pictures (the demo's 64x64 world) are drawn with hard pixel edges instead of a blur. */
const PIXELATED_BELOW = 160;

async function measure(blob: Blob, name: string): Promise<{ width: number; height: number }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new ImageError(
      `${name}: not an image this browser can decode (${blob.type || 'unknown type'}, ${blob.size} bytes)`,
    );
  }
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
}

export class ImageSlot {
  readonly element: HTMLElement;
  readonly overlay: HTMLCanvasElement;
  private readonly preview: HTMLImageElement;
  private readonly caption: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly listeners: Array<(img: PickedImage | null) => void> = [];
  private current: PickedImage | null = null;
  private objectUrl = '';

  constructor(opts: { inputTestId: string; label: string; samples: boolean; compact?: boolean }) {
    this.input = h('input', {
      testid: opts.inputTestId,
      attrs: { type: 'file', accept: 'image/*', 'aria-label': opts.label },
      on: {
        change: () => {
          const f = this.input.files?.[0];
          if (f) void this.pickBlob(f, f.name);
        },
      },
    });
    this.preview = h('img', { attrs: { alt: '', hidden: true } });
    this.overlay = h('canvas', {
      class: 'overlay',
      testid: `${opts.inputTestId}-overlay`,
      attrs: { 'aria-hidden': 'true', hidden: true },
    });
    const hint = h('span', { class: 'drop-hint', text: 'Drop a picture here' });
    const stage = h('div', { class: 'stage' }, this.preview, this.overlay, hint);
    this.caption = h('figcaption', { class: 'muted small', text: 'No picture yet' });
    const picker = h('label', { class: 'button secondary file-button' }, 'Choose a picture…', this.input);
    const strip = opts.samples
      ? h(
          'div',
          { class: 'samples', attrs: { role: 'group', 'aria-label': 'Sample pictures from the demo world' } },
          ...SAMPLES.map((s) =>
            h(
              'button',
              {
                class: 'sample',
                testid: 'sample',
                attrs: { type: 'button', 'data-file': s.file, title: s.file, 'aria-label': `Sample ${s.file}` },
                on: { click: () => void this.pickSample(s) },
              },
              h('img', { attrs: { src: s.url, alt: '' } }),
            ),
          ),
        )
      : null;
    this.element = h(
      'div',
      { class: `image-slot${opts.compact ? ' compact' : ''}` },
      h('figure', { class: 'preview' }, stage, this.caption),
      h('div', { class: 'row' }, picker),
      strip,
    );
    for (const type of ['dragenter', 'dragover'] as const) {
      stage.addEventListener(type, (ev) => {
        ev.preventDefault();
        stage.classList.add('dragging');
      });
    }
    stage.addEventListener('dragleave', () => stage.classList.remove('dragging'));
    stage.addEventListener('drop', (ev) => {
      ev.preventDefault();
      stage.classList.remove('dragging');
      const f = ev.dataTransfer?.files[0];
      if (f) void this.pickBlob(f, f.name);
    });
  }

  get image(): PickedImage | null {
    return this.current;
  }

  onChange(fn: (img: PickedImage | null) => void): void {
    this.listeners.push(fn);
  }

  async pickSample(s: Sample): Promise<void> {
    try {
      await this.pickBlob(await sampleBlob(s), s.file, s);
    } catch (e) {
      showError(e, `Loading sample ${s.file}`);
    }
  }

  async pickBlob(blob: Blob, name: string, sample?: Sample): Promise<void> {
    let size: { width: number; height: number };
    try {
      size = await measure(blob, name);
    } catch (e) {
      showError(e, 'Opening the picture');
      return;
    }
    clearError();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = URL.createObjectURL(blob);
    this.current = { blob, name, ...size, sample };
    this.preview.src = this.objectUrl;
    this.preview.alt = name;
    this.preview.hidden = false;
    this.preview.classList.toggle('pixelated', Math.max(size.width, size.height) < PIXELATED_BELOW);
    this.preview.style.aspectRatio = `${size.width} / ${size.height}`;
    this.caption.textContent = `${name} · ${size.width}×${size.height}`;
    this.element
      .querySelectorAll<HTMLElement>('.sample')
      .forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.file === sample?.file)));
    this.clearOverlay();
    for (const fn of this.listeners) fn(this.current);
  }

  clearOverlay(): void {
    this.overlay.hidden = true;
    delete this.overlay.dataset.layer;
  }
}
