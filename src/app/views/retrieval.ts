// Retrieval: several pictures, one caption. The task ranks all pictures by ITC and re-ranks the top k by ITM,
// as the original evaluates; the view shows the ranking with thumbnails.
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h, percent } from '../dom';
import { SAMPLES, sampleBlob } from '../samples';
import { showError } from '../status';

interface GalleryItem { blob: Blob; name: string; url: string }

/** Pictures shown, and how many of the best by ITC are re-ranked by ITM (the original's default k). */
const TOP_K = 5;
const RERANK = 16;

export function retrievalView(ctx: AppContext): TaskView {
  const gallery: GalleryItem[] = [];
  const thumbs = h('ul', { class: 'gallery', testid: 'retrieval-gallery', attrs: { 'aria-label': 'Pictures to search' } });
  const input = h('input', { testid: 'retrieval-images-input', attrs: { type: 'file', accept: 'image/*', multiple: true, 'aria-label': 'Add pictures' } });
  const addSamples = h('button', { class: 'button secondary', testid: 'retrieval-add-samples', text: 'Add the sample pictures', attrs: { type: 'button' } });
  const clear = h('button', { class: 'button ghost', text: 'Clear', attrs: { type: 'button' } });
  const text = h('input', { testid: 'retrieval-text-input', attrs: { id: 'retrieval-text', type: 'text', autocomplete: 'off', placeholder: 'a red circle' } });
  const button = h('button', { class: 'button primary', testid: 'retrieval-button', text: 'Search', attrs: { type: 'submit' } });
  const form = h('form', { class: 'ask' },
    h('p', { class: 'field-label', text: 'Pictures to search' }),
    thumbs,
    h('div', { class: 'input-row' }, h('label', { class: 'button secondary file-button' }, 'Add pictures…', input), addSamples, clear),
    h('label', { class: 'field-label', text: 'Caption', attrs: { for: 'retrieval-text' } }),
    h('div', { class: 'input-row' }, text, button),
    h('p', { class: 'muted small', text: `All pictures are ranked by ITC (cosine similarity); the best ${RERANK} are re-ranked by ITM, as the original BridgeTower evaluates retrieval. The top ${TOP_K} are shown.` }));
  const timing = h('p', { class: 'timing', testid: 'retrieval-time', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'retrieval-results', attrs: { 'aria-label': 'Pictures ranked' } });
  const panel = h('div', { class: 'view' }, form, h('div', { class: 'results' }, timing, results));

  const renderGallery = () => {
    thumbs.replaceChildren(...gallery.map((g, i) => h('li', { class: 'thumb' },
      h('img', { attrs: { src: g.url, alt: g.name, title: g.name } }),
      h('button', {
        class: 'remove', text: '×', attrs: { type: 'button', 'aria-label': `Remove ${g.name}` },
        on: { click: () => { URL.revokeObjectURL(gallery[i].url); gallery.splice(i, 1); renderGallery(); } },
      }))));
    if (!gallery.length) thumbs.append(h('li', { class: 'muted small', text: 'No pictures yet.' }));
  };
  const add = (blob: Blob, name: string) => gallery.push({ blob, name, url: URL.createObjectURL(blob) });
  input.addEventListener('change', () => {
    for (const f of input.files ?? []) add(f, f.name);
    input.value = '';
    renderGallery();
  });
  addSamples.addEventListener('click', async () => {
    try {
      for (const s of SAMPLES) if (!gallery.some((g) => g.name === s.file)) add(await sampleBlob(s), s.file);
    } catch (e) {
      showError(e, 'Adding the sample pictures');
    }
    renderGallery();
  });
  clear.addEventListener('click', () => {
    for (const g of gallery.splice(0)) URL.revokeObjectURL(g.url);
    renderGallery();
    results.replaceChildren();
  });
  renderGallery();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const caption = text.value.trim();
    if (!gallery.length) { showError('add some pictures first', 'Searching'); return; }
    if (!caption) { text.focus(); return; }
    const items = gallery.slice();
    void ctx.run(button, 'Searching the pictures', async (m) => {
      const t0 = performance.now();
      const hits = await m.model.retrieveImages(caption, items.map((g) => g.blob), { topK: TOP_K, rerank: RERANK });
      const ms = performance.now() - t0;
      renderBars(results, hits.map((hit) => {
        const g = items[hit.index];
        return {
          label: g.name, thumbnail: g.url,
          score: hit.itm ?? Math.max(0, hit.itc),
          value: hit.itm !== undefined ? `ITM ${percent(hit.itm)}` : `ITC ${hit.itc.toFixed(3)}`,
          second: hit.itm !== undefined ? { score: Math.max(0, hit.itc), value: hit.itc.toFixed(3), label: 'ITC' } : undefined,
          testid: 'retrieval-result', data: { name: g.name, index: String(hit.index), score: String(hit.itm ?? hit.itc) },
        };
      }));
      timing.dataset.ms = ms.toFixed(1);
      timing.textContent = `${items.length} pictures searched in ${formatMs(ms)}.`;
    });
  });

  return {
    id: 'retrieval', title: 'Find pictures', heads: ['itc'], panel,
    setModel() { results.replaceChildren(); timing.textContent = ''; },
  };
}
