// The few DOM helpers the app needs: build an element tree, find the page's elements by data-testid.

type Child = Node | string | null | undefined | false;
interface Props {
  class?: string;
  testid?: string;
  text?: string;
  attrs?: Record<string, string | number | boolean>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
}

/** `h('li', { class: 'x', testid: 'answer', attrs: { 'data-label': 'red' } }, child, ...)` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [type, fn] of Object.entries(props.on ?? {})) el.addEventListener(type, fn as EventListener);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** The page's element with this data-testid (index.html defines them; a missing one is a bug). */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`index.html has no element with data-testid="${id}"`);
  return el;
}

/** Bytes in binary units, labelled as such (a MiB is 2^20 bytes: the sizes storage and GPUs report). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024,
    i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function percent(p: number): string {
  if (p > 0 && p < 0.0001) return '<0.01%';
  return `${(p * 100).toFixed(p >= 0.1 ? 1 : 2)}%`;
}
