// Fill-mask (MLM head): a caption with <mask>, the most likely words for it given the picture.
import type { BridgeTower } from '../../tasks';
import type { FillMaskToken } from '../../tasks/types';
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h } from '../dom';
import { staleResults } from '../stale';
import { showError } from '../status';

const TOP_K = 5;
const MASK = '<mask>';

export function fillMaskView(ctx: AppContext): TaskView {
  const text = h('input', {
    testid: 'fillmask-input',
    attrs: { id: 'fillmask-text', type: 'text', autocomplete: 'off', value: `a photo of a ${MASK}.` },
  });
  const button = h('button', {
    class: 'button primary',
    testid: 'fillmask-button',
    text: 'Fill in',
    attrs: { type: 'submit' },
  });
  const form = h(
    'form',
    { class: 'ask' },
    h('label', {
      class: 'field-label',
      text: `Text with ${MASK} where a word is missing`,
      attrs: { for: 'fillmask-text' },
    }),
    h('div', { class: 'input-row' }, text, button),
    h('p', {
      class: 'muted small',
      text: 'The masked-language-model head guesses the missing token from the text and the picture together.',
    }),
  );
  const timing = h('p', { class: 'timing', testid: 'fillmask-time', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'fillmask-results', attrs: { 'aria-label': 'Candidate words' } });
  const stale = staleResults(results, 'fillmask-stale-note', 'candidates', () => ({
    picture: ctx.image.image?.blob,
    text: text.value.trim(),
  }));
  const panel = h('div', { class: 'view' }, form, h('div', { class: 'results' }, stale.note, timing, results));
  text.addEventListener('input', () => stale.check());
  ctx.image.onChange(() => stale.check());

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const img = ctx.image.image;
    const t = text.value.trim();
    if (!img) {
      showError('pick or drop a picture first', 'Filling the mask');
      return;
    }
    if (!t.includes(MASK)) {
      showError(`the text needs a ${MASK} where the missing word goes`, 'Filling the mask');
      return;
    }
    const inputs = stale.inputs();
    void ctx.run(button, 'Filling the mask', async (m, run) => {
      const tokens = await m.model.fillMask(img.blob, t, { topK: TOP_K });
      const ms = performance.now() - run.clickedAt;
      renderBars(
        results,
        tokens.map((tok) => ({
          label: `${shownToken(m.model, tok)}  —  “${tok.sequence}”`,
          score: tok.score,
          testid: 'fillmask-result',
          data: { token: tok.token, score: String(tok.score) },
        })),
      );
      timing.dataset.ms = ms.toFixed(1);
      timing.textContent = `Filled in ${formatMs(ms)} from the click.`;
      stale.answered(inputs);
    });
  });

  return {
    id: 'fillmask',
    title: 'Fill the mask',
    heads: ['mlm'],
    panel,
    setModel() {
      results.replaceChildren();
      stale.reset();
      timing.textContent = '';
    },
  };
}

/**
 * The candidate as a word; a token that decodes to nothing visible (a special token such as </s>, or a bare
 * space) as its vocabulary entry, so that no candidate shows as a blank.
 */
function shownToken(model: BridgeTower, tok: FillMaskToken): string {
  return tok.token.trim() || model.tokenizer.idToTokenString(tok.tokenId) || `#${tok.tokenId}`;
}
