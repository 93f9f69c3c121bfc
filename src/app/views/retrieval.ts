// Retrieval: several pictures, one caption. The task ranks all pictures by ITC and re-ranks the top k by ITM,
// as the original evaluates; the view shows the ranking with thumbnails, progress (pictures encoded, then
// re-ranked) and Cancel. Pictures are decoded when added: a file that is not a picture is refused on its own.
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h, percent } from '../dom';
import { SAMPLES, sampleBlob } from '../samples';
import { staleResults } from '../stale';
import { clearError, showError } from '../status';
import { ImageError } from '../../errors';

interface GalleryItem {
  blob: Blob;
  name: string;
  url: string;
}

/** Pictures shown, and how many of the best by ITC are re-ranked by ITM (the original's default k). */
const TOP_K = 5;
const RERANK = 16;

export function retrievalView(ctx: AppContext): TaskView {
  const gallery: GalleryItem[] = [];
  const thumbs = h('ul', {
    class: 'gallery',
    testid: 'retrieval-gallery',
    attrs: { 'aria-label': 'Pictures to search' },
  });
  const input = h('input', {
    testid: 'retrieval-images-input',
    attrs: { type: 'file', accept: 'image/*', multiple: true, 'aria-label': 'Add pictures' },
  });
  const addSamples = h('button', {
    class: 'button secondary',
    testid: 'retrieval-add-samples',
    text: 'Add the sample pictures',
    attrs: { type: 'button' },
  });
  const clear = h('button', { class: 'button ghost', text: 'Clear', attrs: { type: 'button' } });
  const text = h('input', {
    testid: 'retrieval-text-input',
    class: 'placeholder-hint',
    attrs: {
      id: 'retrieval-text',
      type: 'text',
      autocomplete: 'off',
      placeholder: 'Type a caption, e.g. a red circle',
    },
  });
  const button = h('button', {
    class: 'button primary',
    testid: 'retrieval-button',
    text: 'Search',
    attrs: { type: 'submit' },
  });
  const form = h(
    'form',
    { class: 'ask' },
    h('p', { class: 'field-label', text: 'Pictures to search' }),
    thumbs,
    h(
      'div',
      { class: 'input-row' },
      h('label', { class: 'button secondary file-button' }, 'Add pictures…', input),
      addSamples,
      clear,
    ),
    h('label', { class: 'field-label', text: 'Caption', attrs: { for: 'retrieval-text' } }),
    h('div', { class: 'input-row' }, text, button),
    h('p', {
      class: 'muted small',
      text: `All pictures are ranked by ITC (cosine similarity); the best ${RERANK} are re-ranked by ITM, as the original BridgeTower evaluates retrieval. The top ${TOP_K} are shown.`,
    }),
  );
  const timing = h('p', { class: 'timing', testid: 'retrieval-time', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'retrieval-results', attrs: { 'aria-label': 'Pictures ranked' } });
  const stale = staleResults(results, 'retrieval-stale-note', 'rankings', () => ({
    pictures: gallery.map((g) => g.url).join('\n'),
    caption: text.value.trim(),
  }));
  const panel = h('div', { class: 'view' }, form, h('div', { class: 'results' }, stale.note, timing, results));
  const markStale = () => stale.check();
  function reset(): void {
    results.replaceChildren();
    stale.reset();
    timing.textContent = '';
  }
  text.addEventListener('input', markStale);

  const renderGallery = () => {
    thumbs.replaceChildren(
      ...gallery.map((g, i) =>
        h(
          'li',
          { class: 'thumb' },
          h('img', { attrs: { src: g.url, alt: g.name, title: g.name } }),
          h('button', {
            class: 'remove',
            text: '×',
            attrs: { type: 'button', 'aria-label': `Remove ${g.name}` },
            on: {
              click: () => {
                URL.revokeObjectURL(gallery[i].url);
                gallery.splice(i, 1);
                renderGallery();
                markStale();
              },
            },
          }),
        ),
      ),
    );
    if (!gallery.length) thumbs.append(h('li', { class: 'muted small', text: 'No pictures yet.' }));
  };
  const add = (blob: Blob, name: string) => gallery.push({ blob, name, url: URL.createObjectURL(blob) });
  const addFiles = async () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    const refused: string[] = [];
    for (const f of files) {
      try {
        (await createImageBitmap(f)).close();
        add(f, f.name);
      } catch {
        refused.push(f.name);
      }
    }
    renderGallery();
    markStale();
    if (refused.length) {
      const what = refused.length > 1 ? 'pictures' : 'a picture';
      const rest = gallery.length ? ' (the other pictures were added)' : '';
      const message = `${refused.join(', ')}: not ${what} this browser can decode; left out${rest}`;
      showError(new ImageError(message), 'Adding pictures');
    } else if (files.length) {
      clearError();
    }
  };
  const addSampleSet = async () => {
    try {
      for (const s of SAMPLES) if (!gallery.some((g) => g.name === s.file)) add(await sampleBlob(s), s.file);
    } catch (e) {
      showError(e, 'Adding the sample pictures');
    }
    renderGallery();
    markStale();
  };
  input.addEventListener('change', () => void addFiles());
  addSamples.addEventListener('click', () => void addSampleSet());
  clear.addEventListener('click', () => {
    for (const g of gallery.splice(0)) URL.revokeObjectURL(g.url);
    renderGallery();
    reset();
  });
  renderGallery();

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const caption = text.value.trim();
    if (!gallery.length) {
      showError('add some pictures first (“Add pictures…” or “Add the sample pictures”)', 'Searching');
      return;
    }
    if (!caption) {
      showError('type a caption to search for first', 'Searching');
      text.focus();
      return;
    }
    const items = gallery.slice();
    const inputs = stale.inputs();
    void ctx.run(button, 'Searching the pictures', async (m, run) => {
      const hits = await m.model.retrieveImages(
        caption,
        items.map((g) => g.blob),
        {
          topK: TOP_K,
          rerank: RERANK,
          signal: run.signal,
          onProgress: run.onProgress,
        },
      );
      const ms = performance.now() - run.clickedAt;
      renderBars(
        results,
        hits.map((hit) => {
          const g = items[hit.index];
          return {
            label: g.name,
            thumbnail: g.url,
            score: hit.itm ?? Math.max(0, hit.itc),
            value: hit.itm !== undefined ? `ITM ${percent(hit.itm)}` : `ITC ${hit.itc.toFixed(3)}`,
            second:
              hit.itm !== undefined
                ? { score: Math.max(0, hit.itc), value: hit.itc.toFixed(3), label: 'ITC' }
                : undefined,
            testid: 'retrieval-result',
            data: { name: g.name, index: String(hit.index), score: String(hit.itm ?? hit.itc) },
          };
        }),
      );
      timing.dataset.ms = ms.toFixed(1);
      timing.textContent = `${items.length} pictures searched in ${formatMs(ms)} from the click.`;
      stale.answered(inputs);
    });
  });

  return {
    id: 'retrieval',
    title: 'Find pictures',
    heads: ['itc'],
    panel,
    setModel() {
      reset();
    },
  };
}
