// The list of models stored in this browser: each with its facts, a Load button and a Delete that asks first;
// and, for the converter, a free name for a new model and the choice to replace a copy of the same weights.
import {
  deleteStoredModel,
  listStoredModels,
  renameStoredModel,
  type StoredModel,
} from '../checkpoint/web-storage-browser';
import { byTestId, formatBytes, h } from './dom';
import type { JobProgress } from './job-progress';

export class StoredModelList {
  private readonly list = byTestId('stored-models');
  private stored: StoredModel[] = [];

  constructor(
    private readonly jobs: JobProgress,
    private readonly load: (m: StoredModel) => Promise<void>,
  ) {}

  async refresh(): Promise<void> {
    let models: StoredModel[];
    try {
      models = await listStoredModels();
    } catch (e) {
      this.jobs.fail(e, 'Listing the models stored in this browser');
      return;
    }
    this.stored = models;
    this.list.replaceChildren(...models.map((m) => this.entry(m)));
    byTestId('stored-empty').hidden = models.length > 0;
    const persisted = models.length > 0 && (await navigator.storage?.persisted?.().catch(() => false));
    byTestId('storage-note').hidden = !models.length || !!persisted;
  }

  private entry(m: StoredModel): HTMLElement {
    const when = m.created ? ` · ${new Date(m.created).toLocaleDateString()}` : '';
    const facts = m.complete
      ? `${m.dtype ?? ''} · ${formatBytes(m.bytes)}${m.source ? ` · from ${m.source}` : ''}${when}`
      : `unfinished conversion${m.source ? ` of ${m.source}` : ''} (cancelled or cut short) · ` +
        `${formatBytes(m.bytes)} used`;
    return h(
      'li',
      {
        class: `stored${m.complete ? '' : ' partial'}`,
        testid: m.complete ? 'stored-model' : 'stored-partial',
        attrs: { 'data-name': m.name, 'data-key': m.key, 'data-dtype': m.dtype ?? '', 'data-bytes': m.bytes },
      },
      h(
        'div',
        { class: 'stored-text' },
        h('span', { class: 'stored-name', text: m.name }),
        h('span', { class: 'muted small', testid: 'stored-facts', text: facts }),
      ),
      m.complete
        ? h('button', {
            class: 'button small',
            testid: 'stored-load',
            text: 'Load',
            attrs: { type: 'button', 'aria-label': `Load ${m.name}` },
            on: { click: () => void this.load(m) },
          })
        : null,
      h('button', {
        class: 'button small ghost',
        testid: 'stored-delete',
        text: 'Delete',
        attrs: { type: 'button', 'aria-label': `Delete ${m.name}` },
        on: { click: () => void this.delete(m) },
      }),
    );
  }

  private async delete(m: StoredModel): Promise<void> {
    if (this.jobs.running && !m.complete) {
      this.jobs.fail(
        'a conversion is running: cancel it first (this entry may be the one it is writing)',
        `Deleting ${m.name}`,
      );
      return;
    }
    const facts = [m.dtype, formatBytes(m.bytes), m.source && `from ${m.source}`].filter(Boolean).join(', ');
    if (m.complete && !window.confirm(`Delete “${m.name}” (${facts}) from this browser? It cannot be undone.`)) return;
    try {
      await deleteStoredModel(m.key);
    } catch (e) {
      this.jobs.fail(e, `Deleting ${m.name}`);
    }
    await this.refresh();
  }

  /** `title`, or `title (n)` when a stored model has that name: a name never says which model to replace. */
  async freeName(title: string): Promise<string> {
    await this.refresh();
    if (!this.stored.some((m) => m.name === title)) return title;
    let n = 2;
    while (this.stored.some((m) => m.name === `${title} (${n})`)) n++;
    return `${title} (${n})`;
  }

  /**
   * After a conversion: the same weights stored before (same identity, whatever their names) are deleted only if
   * the user says so, and the new model then takes the old name. A different model is never replaced.
   */
  async replaceSameWeights(stored: { key: string; name: string }, identity: string): Promise<string> {
    await this.refresh();
    const copies = this.stored.filter((m) => m.complete && m.key !== stored.key && m.identity === identity);
    if (!copies.length) return stored.name;
    const names = copies.map((m) => `“${m.name}”${m.source ? ` (from ${m.source})` : ''}`).join(', ');
    const replace = window.confirm(
      `The same weights are already stored in this browser as ${names}.\n\n` +
        `OK: delete the older ${copies.length > 1 ? 'copies' : 'copy'} and keep the new one.\nCancel: keep both.`,
    );
    if (!replace) return stored.name;
    for (const m of copies) await deleteStoredModel(m.key);
    await renameStoredModel(stored.key, copies[0].name);
    return copies[0].name;
  }
}
