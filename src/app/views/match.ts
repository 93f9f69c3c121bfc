// Image-text matching: one picture, several captions, ranked by the ITM probability ("this caption
// describes the picture"), with the contrastive (ITC) similarity of the uni-modal features beside it.
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h, percent } from '../dom';
import { staleResults } from '../stale';
import { showError } from '../status';
import { suggestions } from './suggestions';

export function matchView(ctx: AppContext): TaskView {
  const texts = h('textarea', {
    testid: 'match-text-input',
    class: 'placeholder-hint',
    attrs: {
      id: 'match-texts',
      rows: 4,
      'aria-describedby': 'match-help',
      placeholder: 'Type captions, one per line, e.g.\na red circle\na blue square and a yellow triangle',
    },
  });
  const button = h('button', {
    class: 'button primary',
    testid: 'match-button',
    text: 'Match',
    attrs: { type: 'submit' },
  });
  const chips = suggestions('match-suggestions', (t) => {
    texts.value = t;
    form.requestSubmit();
  });
  const form = h(
    'form',
    { class: 'ask' },
    h('label', { class: 'field-label', text: 'Captions, one per line', attrs: { for: 'match-texts' } }),
    texts,
    h(
      'div',
      { class: 'input-row end' },
      h('p', {
        class: 'muted small grow',
        attrs: { id: 'match-help' },
        text: 'Ranked by ITM, the probability that the caption describes the picture. ITC is the cosine similarity of the text and image features before they meet. Ctrl+Enter matches.',
      }),
      button,
    ),
    chips.element,
  );
  texts.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) form.requestSubmit();
  });
  const timing = h('p', { class: 'timing', testid: 'match-time', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'match-results', attrs: { 'aria-label': 'Captions ranked' } });
  const truncated = h('p', { class: 'hint small', testid: 'match-truncated', attrs: { hidden: true } });
  const stale = staleResults(results, 'match-stale-note', 'scores', () => ({
    picture: ctx.image.image?.blob,
    captions: captionsOnScreen().join('\n'),
  }));
  const panel = h(
    'div',
    { class: 'view' },
    form,
    h('div', { class: 'results' }, stale.note, timing, truncated, results),
  );
  const captionsOnScreen = () =>
    texts.value
      .split('\n')
      .map((t) => t.trim())
      .filter(Boolean);
  const reset = () => {
    results.replaceChildren();
    stale.reset();
    truncated.hidden = true;
    timing.textContent = '';
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const img = ctx.image.image;
    const lines = captionsOnScreen();
    if (!img) {
      showError('pick or drop a picture first', 'Matching');
      return;
    }
    if (!lines.length) {
      showError('type at least one caption, one per line (or pick a suggestion below)', 'Matching');
      texts.focus();
      return;
    }
    const blob = img.blob;
    const inputs = stale.inputs();
    void ctx.run(button, 'Matching captions', async (m, run) => {
      const scores = await m.model.match(blob, lines, { signal: run.signal, onProgress: run.onProgress });
      const ranked = scores.slice().sort((a, b) => b.itm - a.itm);
      const ms = performance.now() - run.clickedAt;
      renderBars(
        results,
        ranked.map((r) => ({
          label: r.text,
          score: r.itm,
          value: `ITM ${percent(r.itm)}`,
          second: { score: Math.max(0, r.itc), value: r.itc.toFixed(3), label: 'ITC' },
          testid: 'match-result',
          data: { text: r.text, score: String(r.itm), itc: String(r.itc) },
        })),
      );
      const cut = ranked.filter((r) => r.truncatedTo !== undefined);
      truncated.hidden = cut.length === 0;
      if (cut.length) {
        const which = cut.map((r) => `“${r.text.slice(0, 40)}${r.text.length > 40 ? '…' : ''}”`).join(', ');
        truncated.textContent =
          `${cut.length === 1 ? 'One caption is' : `${cut.length} captions are`} longer than ` +
          `this model reads: only the first ${cut[0].truncatedTo} tokens were used (${which}).`;
      }
      timing.dataset.ms = ms.toFixed(1);
      const n = `${lines.length} caption${lines.length > 1 ? 's' : ''}`;
      timing.textContent = `${n} scored in ${formatMs(ms)} from the click.`;
      stale.answered(inputs);
    });
  });
  texts.addEventListener('input', () => stale.check());
  const refreshChips = () => {
    const caps = ctx.loaded?.isDemo ? (ctx.image.image?.sample?.captions ?? []) : [];
    chips.set(caps.length ? [{ label: `${caps.length} captions for this picture`, text: caps.join('\n') }] : []);
  };
  ctx.image.onChange(() => {
    stale.check();
    refreshChips();
  });

  return {
    id: 'match',
    title: 'Match captions',
    heads: ['itm'],
    panel,
    setModel() {
      reset();
      refreshChips();
    },
  };
}
