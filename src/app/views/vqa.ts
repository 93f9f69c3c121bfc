// Visual question answering: a question about the main picture, the top answers as bars with their
// probabilities and the time taken from the click, then the cross-attention of text token 0 over the picture's
// patches at a chosen cross-modal layer (computed in the same forward pass as the answer), drawn as a heatmap
// over the picture. Answers that no longer belong to the picture or question on screen are marked stale.
import type { AttentionMap, VqaResult } from '../../tasks/types';
import type { AppContext, TaskView } from '../context';
import { renderBars } from '../bars';
import { formatMs, h, percent } from '../dom';
import { drawHeatmap, rampGradient } from '../heatmap';
import type { LoadedModel } from '../model-info';
import { staleResults } from '../stale';
import { showError } from '../status';
import { suggestions } from './suggestions';

const asSuggestions = (qs: string[] | undefined) => (qs ?? []).map((q) => ({ label: q, text: q }));

const TOP_K = 5;

export function vqaView(ctx: AppContext): TaskView {
  const question = h('input', {
    testid: 'question-input',
    class: 'placeholder-hint',
    attrs: {
      id: 'question',
      type: 'text',
      autocomplete: 'off',
      'aria-describedby': 'question-help',
      placeholder: 'Type a question, e.g. how many objects are there?',
    },
  });
  const ask = h('button', { class: 'button primary', testid: 'ask-button', text: 'Ask', attrs: { type: 'submit' } });
  const chips = suggestions('question-suggestions', (q) => {
    question.value = q;
    form.requestSubmit();
  });
  const form = h(
    'form',
    { class: 'ask' },
    h('label', { class: 'field-label', text: 'Question about the picture', attrs: { for: 'question' } }),
    h('div', { class: 'input-row' }, question, ask),
    h('p', {
      class: 'muted small',
      attrs: { id: 'question-help' },
      text: "Questions are answered from the model's label list, most likely first.",
    }),
    chips.element,
  );

  const timing = h('p', { class: 'timing', testid: 'vqa-time', attrs: { 'aria-live': 'polite' } });
  const truncated = h('p', { class: 'hint small', testid: 'vqa-truncated', attrs: { hidden: true } });
  const answers = h('ol', { class: 'bars', testid: 'answers', attrs: { 'aria-label': 'Answers' } });

  const layer = h('select', { testid: 'attention-layer', attrs: { id: 'attention-layer' } });
  const toggle = h('input', {
    testid: 'heatmap-toggle',
    attrs: { type: 'checkbox', id: 'heatmap-toggle', checked: true },
  });
  const note = h('p', { class: 'muted small', testid: 'attention-note' });
  const attention = h(
    'div',
    { class: 'attention', testid: 'attention', attrs: { hidden: true } },
    h('h3', { text: 'Where the model looked' }),
    h('p', {
      class: 'small',
      text:
        "Cross-attention from the question's first text token (<s>, the token the answer " +
        'head reads) to each image patch, averaged over heads, drawn over the picture. It comes from the same forward ' +
        'pass as the answer; another layer takes one more pass.',
    }),
    h(
      'div',
      { class: 'controls' },
      h('label', { attrs: { for: 'attention-layer' } }, 'Cross-modal layer ', layer),
      h('label', { class: 'check', attrs: { for: 'heatmap-toggle' } }, toggle, ' Show heatmap'),
    ),
    h(
      'div',
      { class: 'legend', attrs: { 'aria-hidden': 'true' } },
      h('span', { text: 'less' }),
      h('span', { class: 'ramp', attrs: { style: `background: ${rampGradient()}` } }),
      h('span', { text: 'more attention' }),
    ),
    note,
  );

  const stale = staleResults(
    answers,
    'vqa-stale-note',
    'answers',
    () => ({ picture: ctx.image.image?.blob, question: question.value.trim() }),
    () => {
      attention.hidden = true;
      ctx.image.clearOverlay();
    },
  );
  const panel = h(
    'div',
    { class: 'view' },
    form,
    h('div', { class: 'results', testid: 'vqa-results' }, stale.note, timing, truncated, answers),
    attention,
  );

  /** The picture and question the shown answers belong to (the heatmap follows them, not the inputs). */
  let asked: { blob: Blob; width: number; height: number; question: string } | null = null;

  function drawAttention(m: LoadedModel, a: NonNullable<typeof asked>, map: AttentionMap): void {
    const c = m.model.config;
    drawHeatmap(
      {
        canvas: ctx.image.overlay,
        width: a.width,
        height: a.height,
        imageSize: c.vision.imageSize,
        mode: c.imagePreprocess,
        processor: c.imageProcessor,
      },
      map,
    );
    ctx.image.overlay.hidden = !toggle.checked;
    let peak = 0;
    for (let i = 1; i < map.weights.length; i++) if (map.weights[i] > map.weights[peak]) peak = i;
    note.textContent =
      `Layer ${map.layer + 1} of ${m.model.numCrossLayers}: ${map.gridWidth}×${map.gridHeight} patches; ` +
      `the strongest patch (row ${Math.floor(peak / map.gridWidth) + 1}, column ${(peak % map.gridWidth) + 1}) gets ${percent(map.weights[peak])}, ` +
      `the image class token ${percent(map.classWeight)}. The outlined square is what the model saw; the rest was cropped away.`;
    attention.hidden = false;
  }

  function showResult(m: LoadedModel, a: NonNullable<typeof asked>, result: VqaResult, ms: number): void {
    asked = a;
    renderBars(
      answers,
      result.answers.map((x) => ({
        label: x.answer,
        score: x.score,
        testid: 'answer',
        data: { label: x.answer, score: String(x.score) },
      })),
    );
    timing.dataset.ms = ms.toFixed(1);
    timing.textContent = `Answered in ${formatMs(ms)} from the click.`;
    truncated.hidden = result.truncatedTo === undefined;
    if (result.truncatedTo !== undefined) {
      truncated.dataset.tokens = String(result.truncatedTo);
      truncated.textContent = `The question is longer than this model reads: only its first ${result.truncatedTo} tokens were used.`;
    }
    if (result.attention) drawAttention(m, a, result.attention);
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const img = ctx.image.image;
    const q = question.value.trim();
    if (!img) {
      showError('pick or drop a picture first', 'Asking');
      return;
    }
    if (!q) {
      showError('type a question first (or pick a suggestion below the box)', 'Asking');
      question.focus();
      return;
    }
    const a = { blob: img.blob, width: img.width, height: img.height, question: q };
    const inputs = stale.inputs();
    void ctx.run(ask, 'Answering the question', async (m, run) => {
      const result = await m.model.vqa(a.blob, q, {
        topK: TOP_K,
        attentionLayer: Number(layer.value),
        signal: run.signal,
        onProgress: run.onProgress,
      });
      showResult(m, a, result, performance.now() - run.clickedAt);
      stale.answered(inputs);
    });
  });
  question.addEventListener('input', () => stale.check());
  layer.addEventListener('change', () => {
    const a = asked;
    if (!a || answers.dataset.stale) return;
    void ctx.run(ask, 'Drawing the cross-attention', async (m, run) => {
      const map = await m.model.crossAttention(a.blob, a.question, { layer: Number(layer.value), signal: run.signal });
      if (asked === a && !answers.dataset.stale) drawAttention(m, a, map);
    });
  });
  toggle.addEventListener('change', () => {
    if (!attention.hidden) ctx.image.overlay.hidden = !toggle.checked;
  });
  ctx.image.onChange((img) => {
    stale.check();
    chips.set(asSuggestions(ctx.loaded?.isDemo ? img?.sample?.questions : undefined));
  });

  return {
    id: 'vqa',
    title: 'Ask',
    heads: ['vqa'],
    panel,
    setModel(m) {
      asked = null;
      answers.replaceChildren();
      stale.reset();
      truncated.hidden = true;
      timing.textContent = '';
      attention.hidden = true;
      ctx.image.clearOverlay();
      const n = m?.model.numCrossLayers ?? 0;
      layer.replaceChildren(
        ...Array.from({ length: n }, (_, i) =>
          h('option', { text: `${i + 1} of ${n}`, attrs: { value: i, selected: i === n - 1 } }),
        ),
      );
      chips.set(asSuggestions(m?.isDemo ? ctx.image.image?.sample?.questions : undefined));
    },
  };
}
