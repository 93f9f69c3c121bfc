// "Try:" chips under an input: questions or captions the demo model gets right on the sample picture shown.
import { h } from '../dom';

export interface Suggestion {
  label: string;
  text: string;
}

export function suggestions(
  testid: string,
  pick: (text: string) => void,
): { element: HTMLElement; set(items: Suggestion[]): void } {
  const element = h('div', { class: 'chips', testid, attrs: { hidden: true } });
  return {
    element,
    set(items) {
      element.replaceChildren(
        h('span', { class: 'muted small', text: 'Try:' }),
        ...items.map((s) =>
          h('button', {
            class: 'chip',
            text: s.label,
            attrs: { type: 'button', title: s.text },
            on: { click: () => pick(s.text) },
          }),
        ),
      );
      element.hidden = items.length === 0;
    },
  };
}
