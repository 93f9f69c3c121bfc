// The browser app: opens on the demo model with a sample picture, ready to ask; `?model=<url>` opens another
// web-format model instead.
import './style.css';
import { describeAdapter, requestGpuDevice } from '../gpu/device';
import { AppContext, type TaskView } from './context';
import { byTestId, formatBytes } from './dom';
import { ImageSlot } from './image-slot';
import { DEMO_URL } from './load-sources';
import { ModelPanel } from './model-panel';
import { SAMPLES } from './samples';
import { clearError, setStatus, showError } from './status';
import { Tabs } from './tabs';
import { entailmentView } from './views/entailment';
import { fillMaskView } from './views/fill-mask';
import { matchView } from './views/match';
import { nlvr2View } from './views/nlvr2';
import { retrievalView } from './views/retrieval';
import { searchView } from './views/search';
import { vqaView } from './views/vqa';

/** Views offered while no model is loaded (they say so when used). */
const WITHOUT_MODEL = new Set(['vqa', 'match', 'retrieval']);

/** The adapter line in the header; throws WebGPUUnavailableError / LimitError with advice when unusable. */
async function adapterLine(): Promise<string> {
  const { device, caps } = await requestGpuDevice();
  device.destroy();
  return `${describeAdapter(caps)} · shader-f16 ${caps.f16 ? 'yes' : 'no'} · largest binding ${formatBytes(caps.maxStorageBufferBindingSize)}`;
}

async function main(): Promise<void> {
  setStatus('starting');
  const image = new ImageSlot({ inputTestId: 'image-input', label: 'Picture', samples: true });
  byTestId('image-slot').append(image.element);
  const ctx = new AppContext(image);
  const views: TaskView[] = [
    vqaView(ctx),
    matchView(ctx),
    retrievalView(ctx),
    searchView(ctx),
    fillMaskView(ctx),
    nlvr2View(ctx),
    entailmentView(ctx),
  ];
  const tabs = new Tabs(byTestId('tabs'), byTestId('tab-panels'), views);
  const panel = new ModelPanel();
  panel.onModel((m) => {
    ctx.setModel(m);
    for (const v of views) v.setModel(m);
    tabs.setAvailable((v) => (m ? v.heads.every((head) => m.model.hasHead(head)) : WITHOUT_MODEL.has(v.id)));
    document.body.classList.toggle('demo-loaded', m?.isDemo ?? false);
  });
  // Loading compiles the shaders (a phase of its own), so the first answer is as quick as the next; a task asked
  // while the first model loads waits for it.
  panel.onLoading((done) => ctx.whileLoading(done));
  tabs.setAvailable((v) => WITHOUT_MODEL.has(v.id));
  byTestId('error-dismiss').addEventListener('click', clearError);
  void panel.refreshStored();
  await image.pickSample(SAMPLES[0]);

  const adapter = byTestId('adapter');
  try {
    adapter.textContent = await adapterLine();
  } catch (e) {
    adapter.textContent = 'no usable WebGPU adapter';
    setStatus('error');
    const advice =
      'WebGPU is not available in this browser, or it is turned off. Use a recent Chrome or Edge ' +
      '(version 113 or later) or Safari 26, with hardware acceleration on; in Firefox, WebGPU needs version 141 or ' +
      'later on Windows. You can still convert checkpoints here.';
    showError(advice, 'This browser cannot run the model', e instanceof Error ? e.message : String(e));
    return;
  }
  const requested = new URLSearchParams(location.search).get('model');
  if (requested) await panel.loadUrl(new URL(requested, document.baseURI).href, requested, false);
  else await panel.loadUrl(DEMO_URL, 'Demo model (synthetic shapes)', true);
}

void main();
