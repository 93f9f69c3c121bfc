// NLVR2: two pictures and a statement about them; the head says whether the statement is true.
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h } from '../dom';
import { ImageSlot } from '../image-slot';
import { staleResults } from '../stale';
import { showError } from '../status';

export function nlvr2View(ctx: AppContext): TaskView {
  const second = new ImageSlot({ inputTestId: 'image2-input', label: 'Second picture', samples: false, compact: true });
  const statement = h('input', {
    testid: 'nlvr2-input',
    attrs: {
      id: 'nlvr2-text',
      type: 'text',
      autocomplete: 'off',
      placeholder: 'the left picture has more circles than the right one',
    },
  });
  const button = h('button', {
    class: 'button primary',
    testid: 'nlvr2-button',
    text: 'Check',
    attrs: { type: 'submit' },
  });
  const form = h(
    'form',
    { class: 'ask' },
    h('p', { class: 'field-label', text: 'Right picture (the left one is the main picture)' }),
    second.element,
    h('label', { class: 'field-label', text: 'Statement about the two pictures', attrs: { for: 'nlvr2-text' } }),
    h('div', { class: 'input-row' }, statement, button),
  );
  const timing = h('p', { class: 'timing', testid: 'nlvr2-time', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'nlvr2-results', attrs: { 'aria-label': 'Verdict' } });
  const stale = staleResults(results, 'nlvr2-stale-note', 'verdicts', () => ({
    'left picture': ctx.image.image?.blob,
    'right picture': second.image?.blob,
    statement: statement.value.trim(),
  }));
  const panel = h('div', { class: 'view' }, form, h('div', { class: 'results' }, stale.note, timing, results));
  statement.addEventListener('input', () => stale.check());
  ctx.image.onChange(() => stale.check());
  second.onChange(() => stale.check());

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const left = ctx.image.image,
      right = second.image;
    const s = statement.value.trim();
    if (!left || !right) {
      showError('NLVR2 needs two pictures: the main picture and a second one here', 'Checking the statement');
      return;
    }
    if (!s) {
      showError('type a statement about the two pictures first', 'Checking the statement');
      statement.focus();
      return;
    }
    const inputs = stale.inputs();
    void ctx.run(button, 'Checking the statement', async (m, run) => {
      const r = await m.model.nlvr2(left.blob, right.blob, s);
      const ms = performance.now() - run.clickedAt;
      const pTrue = r.answer ? r.score : 1 - r.score;
      renderBars(
        results,
        [
          { label: 'true', score: pTrue, testid: 'nlvr2-result', data: { answer: 'true', score: String(pTrue) } },
          {
            label: 'false',
            score: 1 - pTrue,
            testid: 'nlvr2-result',
            data: { answer: 'false', score: String(1 - pTrue) },
          },
        ].sort((a, b) => b.score - a.score),
      );
      timing.dataset.ms = ms.toFixed(1);
      timing.textContent = `The statement is ${r.answer} (decided in ${formatMs(ms)} from the click).`;
      stale.answered(inputs);
    });
  });

  return {
    id: 'nlvr2',
    title: 'Two pictures',
    heads: ['nlvr2'],
    panel,
    setModel() {
      results.replaceChildren();
      stale.reset();
      timing.textContent = '';
    },
  };
}
