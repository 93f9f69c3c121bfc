// What the model panel says of the loaded model: its name, heads, picture, towers, how it is computed, its
// answers and how long it took to load, and a warning when it came without a tokenizer.
import { BridgeTower } from '../tasks';
import type { HeadName } from '../tasks/types';
import { formatMs, h } from './dom';

export const HEAD_NAMES: HeadName[] = ['vqa', 'itm', 'itc', 'mlm', 'nlvr2', 'snli', 'irtr'];

export interface LoadedModel {
  model: BridgeTower;
  /** What the user sees as the model's name. */
  name: string;
  isDemo: boolean;
  loadMs: number;
}

export function renderModelInfo(info: HTMLElement, m: LoadedModel | null): void {
  if (!m) {
    info.replaceChildren(h('p', { class: 'muted', text: 'No model loaded.' }));
    delete info.dataset.loadMs;
    return;
  }
  const c = m.model.config;
  const heads = HEAD_NAMES.filter((x) => m.model.hasHead(x));
  const fact = (k: string, v: string) => [h('dt', { text: k }), h('dd', { text: v })];
  info.dataset.loadMs = m.loadMs.toFixed(0);
  info.replaceChildren(
    h('p', { class: 'model-name', testid: 'model-name', text: m.name }),
    h(
      'dl',
      { class: 'facts' },
      ...fact('Heads', heads.join(', ') || 'none'),
      ...fact(
        'Picture',
        `${c.vision.imageSize}×${c.vision.imageSize}, ${c.vision.patchSize}px patches, ${c.imagePreprocess} preprocessing`,
      ),
      ...fact('Towers', `ViT ${c.vision.layers}×${c.vision.width} · RoBERTa ${c.text.layers}×${c.text.hiddenSize}`),
      ...fact('Cross-modal', `${c.numLayers} layers × ${c.hiddenSize}, ${c.numHeads} heads`),
      ...fact('Computed as', m.model.model.describeDefinitions()),
      ...fact(
        'Answers',
        m.model.labels ? `${m.model.labels.length} labels` : c.heads.vqa ? 'no label list: answers are indices' : '—',
      ),
      ...fact('Loaded in', formatMs(m.loadMs)),
    ),
    hasTokenizer(m.model)
      ? ''
      : h('p', {
          class: 'warning small',
          testid: 'no-tokenizer',
          text:
            'This model came without tokenizer files, so it cannot read questions or captions. Convert the ' +
            "checkpoint again and pick its vocab.json + merges.txt (roberta-base's for the released checkpoints) " +
            'or tokenizer.json with it.',
        }),
  );
}

function hasTokenizer(model: BridgeTower): boolean {
  try {
    return model.tokenizer !== undefined;
  } catch {
    return false;
  }
}
