// Accessible tabs (WAI-ARIA tabs pattern: arrow keys move between tabs) over the task views. A view is
// offered only when the loaded model has the heads it needs.
import type { TaskView } from './context';
import { h } from './dom';

export class Tabs {
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private active = '';

  constructor(
    list: HTMLElement,
    panels: HTMLElement,
    private readonly views: TaskView[],
  ) {
    list.setAttribute('role', 'tablist');
    for (const v of views) {
      const button = h('button', {
        class: 'tab',
        testid: `tab-${v.id}`,
        text: v.title,
        attrs: {
          type: 'button',
          role: 'tab',
          id: `tab-${v.id}`,
          'aria-controls': `view-${v.id}`,
          'aria-selected': 'false',
          tabindex: -1,
        },
        on: { click: () => this.select(v.id), keydown: (ev) => this.onKey(ev) },
      });
      this.buttons.set(v.id, button);
      list.append(button);
      v.panel.id = `view-${v.id}`;
      v.panel.dataset.testid = `view-${v.id}`;
      v.panel.setAttribute('role', 'tabpanel');
      v.panel.setAttribute('aria-labelledby', `tab-${v.id}`);
      v.panel.hidden = true;
      panels.append(v.panel);
    }
    this.select(views[0].id);
  }

  /** Show the views `available` accepts; keep the current one if it stays. */
  setAvailable(available: (v: TaskView) => boolean): void {
    for (const v of this.views) this.buttons.get(v.id)!.hidden = !available(v);
    if (this.buttons.get(this.active)?.hidden) {
      const first = this.views.find((v) => !this.buttons.get(v.id)!.hidden);
      if (first) this.select(first.id);
    }
  }

  select(id: string): void {
    this.active = id;
    document.body.dataset.tab = id;
    for (const v of this.views) {
      const on = v.id === id;
      const b = this.buttons.get(v.id)!;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      v.panel.hidden = !on;
    }
  }

  private onKey(ev: KeyboardEvent): void {
    const visible = this.views.filter((v) => !this.buttons.get(v.id)!.hidden).map((v) => v.id);
    const i = visible.indexOf(this.active);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: visible.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    const id = visible[(next + visible.length) % visible.length];
    this.select(id);
    this.buttons.get(id)!.focus();
  }
}
