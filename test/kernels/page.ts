// The browser kernel page: the same cases as the Node suite, on navigator.gpu. When done,
// document.title is `kernels: N passed, M failed` (the e2e test and a user both read it). Then a button runs
// the benchmarks of `bridgetower bench kernels` on the same device: both from the one list in src/kernels/check/.
import { Gpu } from '../../src/gpu/runtime';
import { allCases, kernelBenchmarks, rate, rng, timeCalls } from '../../src/kernels/check';

function cell(row: HTMLTableRowElement, text: string, cls = ''): void {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

/** Numbers in a case's words to 3 significant digits (a tolerance 5.8e-6 printed as 0.0000057999999999999995). */
function rounded(text: string | number): string {
  return String(text).replace(/-?\d+\.\d{4,}(e[-+]?\d+)?|-?\d+e[-+]?\d+/gi, (x) => {
    const v = Number(x);
    const tiny = v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5);
    return tiny ? v.toExponential(2) : String(Number(v.toPrecision(3)));
  });
}

async function main(): Promise<void> {
  const adapterLine = document.getElementById('adapter')!;
  const body = document.getElementById('results') as HTMLTableSectionElement;
  let gpu: Gpu;
  try {
    gpu = await Gpu.create();
  } catch (e) {
    adapterLine.textContent = (e as Error).message;
    adapterLine.className = 'fail';
    document.title = `kernels: 0 passed, ${allCases.length} failed`;
    return;
  }
  adapterLine.textContent =
    `Adapter: ${gpu.adapterDescription}; shader-f16 ${gpu.caps.f16 ? 'yes' : 'no'}; ` +
    `max storage binding ${(gpu.caps.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`;
  let passed = 0,
    failed = 0;
  for (const c of allCases) {
    const row = body.insertRow();
    const t0 = performance.now();
    try {
      const r = await c.run(gpu);
      if (r.pass) passed++;
      else failed++;
      cell(row, c.kernel);
      cell(row, c.name);
      cell(row, r.pass ? 'pass' : 'FAIL', r.pass ? 'pass' : 'fail');
      cell(row, r.maxAbsErr.toExponential(2));
      cell(row, rounded(r.tolerance));
      cell(row, rounded(r.detail));
    } catch (e) {
      failed++;
      cell(row, c.kernel);
      cell(row, c.name);
      cell(row, 'ERROR', 'fail');
      cell(row, '');
      cell(row, '');
      cell(row, (e as Error).message);
    }
    cell(row, (performance.now() - t0).toFixed(0));
    document.getElementById('summary')!.textContent = `${passed} passed, ${failed} failed of ${allCases.length}`;
  }
  document.title = `kernels: ${passed} passed, ${failed} failed`;
  const button = document.getElementById('bench') as HTMLButtonElement;
  button.disabled = false;
  button.onclick = () => {
    button.disabled = true;
    void runBenchmarks(gpu);
  };
}

async function runBenchmarks(gpu: Gpu): Promise<void> {
  const body = document.getElementById('bench-results') as HTMLTableSectionElement;
  const status = document.getElementById('bench-status')!;
  const iterations = gpu.caps.cpuAdapter ? 2 : 20;
  const rand = rng(12345);
  for (const [i, b] of kernelBenchmarks.entries()) {
    status.textContent = `${i + 1} of ${kernelBenchmarks.length}: ${b.kernel} ${b.shape}`;
    let setup;
    try {
      setup = b.setup(gpu, rand, { weights: ['f32'], linearVariants: ['blocked', 'tiled'] });
      for (const v of setup.variants) {
        const ms = await timeCalls(gpu, iterations, v.run);
        const row = body.insertRow();
        for (const text of [b.kernel, b.shape, v.name, ms.toFixed(2), rate(b.work, ms)]) cell(row, text);
      }
    } catch (e) {
      const row = body.insertRow();
      for (const text of [b.kernel, b.shape, '', '', '']) cell(row, text);
      cell(row, (e as Error).message, 'fail');
    } finally {
      setup?.release();
    }
  }
  status.textContent = `done: ${iterations} iterations after a warm-up per variant`;
}

void main();
