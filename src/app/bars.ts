// Ranked results drawn as horizontal bars: a label, a bar as long as the probability, the number.
import { h, percent } from './dom';

export interface Bar {
  label: string;
  /** In [0, 1]: the bar's length. */
  score: number;
  /** What the number column shows (default: the score as a percentage). */
  value?: string;
  /** A second, thinner bar under the first (e.g. ITC next to ITM), in [0, 1], with its own text. */
  second?: { score: number; value: string; label: string };
  /** data-testid and data-* attributes for the row. */
  testid: string;
  data: Record<string, string>;
  /** A picture shown before the label (retrieval). */
  thumbnail?: string;
}

export function renderBars(list: HTMLElement, bars: Bar[]): void {
  list.replaceChildren(
    ...bars.map((b, i) => {
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(b.data)) attrs[`data-${k}`] = v;
      const main = h(
        'div',
        { class: 'bar-track' },
        h('div', {
          class: 'bar-fill',
          attrs: { style: `width: ${(Math.max(0, Math.min(1, b.score)) * 100).toFixed(2)}%` },
        }),
      );
      return h(
        'li',
        { class: `bar-row${i === 0 ? ' top' : ''}`, testid: b.testid, attrs },
        b.thumbnail ? h('img', { class: 'bar-thumb', attrs: { src: b.thumbnail, alt: '' } }) : null,
        h(
          'div',
          { class: 'bar-body' },
          h(
            'div',
            { class: 'bar-head' },
            h('span', { class: 'bar-label', text: b.label }),
            h('span', { class: 'bar-value', text: b.value ?? percent(b.score) }),
          ),
          main,
          b.second
            ? h(
                'div',
                { class: 'bar-second' },
                h(
                  'div',
                  { class: 'bar-track thin' },
                  h('div', {
                    class: 'bar-fill alt',
                    attrs: { style: `width: ${(Math.max(0, Math.min(1, b.second.score)) * 100).toFixed(2)}%` },
                  }),
                ),
                h('span', { class: 'bar-value small', text: `${b.second.label} ${b.second.value}` }),
              )
            : null,
        ),
      );
    }),
  );
}
