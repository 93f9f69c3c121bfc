// Where the model panel loads a model from: the bundled demo, the URL of a web-format folder, a Hugging Face
// model id (through a hub mirror when the page names one), or a local folder (web format or an HF model folder).
import type { Directory } from '../checkpoint/byte-source';
import type { WeightSet } from '../common/weight-set';
import { byTestId } from './dom';
import { FileListDirectory } from './local-folder';

/** The demo model, beside the app (vite.config.ts copies weights/demo into the build). */
export const DEMO_URL = new URL('weights/demo/', document.baseURI).href;
/** A hub mirror (or a local imitation of the hub) for the model-id field: `?hubEndpoint=http://…` on the page. */
export const HUB_ENDPOINT = new URLSearchParams(location.search).get('hubEndpoint') ?? undefined;

/** What to load, made inside the load's job, so that opening files fails into the error banner like loading does. */
export type ModelSource = () => string | Directory | Promise<WeightSet>;

/** Wire the demo button, the URL and model-id forms and the folder picker to `load`; `fail` says what is wrong. */
export function listenForLoadSources(
  load: (name: string, isDemo: boolean, source: ModelSource) => Promise<void>,
  fail: (e: unknown, context: string) => void,
): void {
  byTestId('load-demo').addEventListener(
    'click',
    () => void load('Demo model (synthetic shapes)', true, () => DEMO_URL),
  );
  byTestId<HTMLFormElement>('url-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const url = byTestId<HTMLInputElement>('url-input').value.trim();
    if (!url) {
      fail('type the URL of a converted model folder (one with manifest.json) first', 'Loading from a URL');
      return;
    }
    let href: string;
    try {
      href = new URL(url, document.baseURI).href;
    } catch {
      fail(`"${url}" is not a URL`, 'Loading from a URL');
      return;
    }
    void load(url, false, () => href);
  });
  byTestId<HTMLFormElement>('hub-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = byTestId<HTMLInputElement>('hub-input').value.trim().replace(/^hf:/, '');
    if (id) void load(id, false, () => `hf:${id}`);
  });
  const loadFolder = async (files: File[]): Promise<void> => {
    const dir = FileListDirectory.fromFiles(files);
    await load(dir.name, false, () => dir.loadable());
  };
  const folder = byTestId<HTMLInputElement>('folder-input');
  folder.addEventListener('change', () => {
    if (folder.files?.length) void loadFolder([...folder.files]);
    folder.value = '';
  });
}
