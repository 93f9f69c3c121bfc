// Visual entailment (SNLI-VE): does the picture entail, contradict, or say nothing about a hypothesis?
import type { EntailmentResult } from '../../tasks/types';
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h } from '../dom';
import { staleResults } from '../stale';
import { showError } from '../status';

const VERDICT: Record<EntailmentResult['label'], string> = {
  entailment: 'The picture entails the hypothesis',
  contradiction: 'The picture contradicts the hypothesis',
  neutral: 'The picture neither entails nor contradicts the hypothesis',
};

export function entailmentView(ctx: AppContext): TaskView {
  const hypothesis = h('input', {
    testid: 'entailment-input',
    attrs: { id: 'entailment-text', type: 'text', autocomplete: 'off', placeholder: 'there is a red circle' },
  });
  const button = h('button', {
    class: 'button primary',
    testid: 'entailment-button',
    text: 'Judge',
    attrs: { type: 'submit' },
  });
  const form = h(
    'form',
    { class: 'ask' },
    h('label', { class: 'field-label', text: 'Hypothesis about the picture', attrs: { for: 'entailment-text' } }),
    h('div', { class: 'input-row' }, hypothesis, button),
  );
  const timing = h('p', { class: 'timing', testid: 'entailment-time', attrs: { 'aria-live': 'polite' } });
  const results = h('ol', { class: 'bars', testid: 'entailment-results', attrs: { 'aria-label': 'Entailment' } });
  const stale = staleResults(results, 'entailment-stale-note', 'scores', () => ({
    picture: ctx.image.image?.blob,
    hypothesis: hypothesis.value.trim(),
  }));
  const panel = h('div', { class: 'view' }, form, h('div', { class: 'results' }, stale.note, timing, results));
  hypothesis.addEventListener('input', () => stale.check());
  ctx.image.onChange(() => stale.check());

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const img = ctx.image.image;
    const t = hypothesis.value.trim();
    if (!img) {
      showError('pick or drop a picture first', 'Judging the hypothesis');
      return;
    }
    if (!t) {
      showError('type a hypothesis about the picture first', 'Judging the hypothesis');
      hypothesis.focus();
      return;
    }
    const inputs = stale.inputs();
    void ctx.run(button, 'Judging the hypothesis', async (m, run) => {
      const r = await m.model.entailment(img.blob, t);
      const ms = performance.now() - run.clickedAt;
      renderBars(
        results,
        Object.entries(r.scores)
          .sort((a, b) => b[1] - a[1])
          .map(([label, score]) => ({
            label,
            score,
            testid: 'entailment-result',
            data: { label, score: String(score) },
          })),
      );
      timing.dataset.ms = ms.toFixed(1);
      timing.dataset.label = r.label;
      timing.textContent = `${VERDICT[r.label]} (judged in ${formatMs(ms)} from the click).`;
      stale.answered(inputs);
    });
  });

  return {
    id: 'entailment',
    title: 'Entailment',
    heads: ['snli'],
    panel,
    setModel() {
      results.replaceChildren();
      stale.reset();
      timing.textContent = '';
      delete timing.dataset.label;
    },
  };
}
