// The package's Node entry: everything of the main entry, plus loading from paths onto a Dawn device (the
// `webgpu` package). Importing it makes BridgeTower.load and every task take paths (against the working
// directory) and file: URLs for models and images, HF_ENDPOINT / HF_TOKEN apply, and models converted from the
// hub are cached on disk.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpenOptions } from '../checkpoint/open';
import { openPath } from '../checkpoint/source-node';
import { createNodeGpu } from '../gpu/node';
import { nodeHubRuntime, openModelWeights } from '../hub/open-path';
import { BridgeTower } from './bridgetower';
import type { BridgeTowerLoadOptions } from './load';
import { setPlatform } from './platform';

export * from './index';
export { openModelWeights };

setPlatform({
  baseUrl: () => pathToFileURL(process.cwd() + sep).href,
  // pathToFileURL escapes what a URL would read as syntax ('#', '?', '%'); a trailing separator marks a folder.
  pathToUrl: (path) => pathToFileURL(resolve(path) + (/[\\/]$/.test(path) ? sep : '')),
  openLocal: (url) => openPath(fileURLToPath(url)),
  readFile: async (url) => new Uint8Array(await readFile(fileURLToPath(url))),
  createGpu: () => createNodeGpu(),
  ...nodeHubRuntime,
});

/**
 * The bundled demo model: dist/lib/demo of the package (beside this entry, or below the CLI's dist/cli.mjs),
 * or weights/demo of the project when running from the sources or the contributors' CLI build.
 */
export function demoModelPath(): string {
  const paths = ['./demo', './lib/demo', '../weights/demo', '../../weights/demo'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return paths.find((p) => existsSync(`${p}/manifest.json`)) ?? paths[paths.length - 1];
}

/**
 * Load a model in Node: a path (web-format directory, .ckpt, .safetensors, .bin, index.json, or a folder in
 * the hub's layout), or a Hugging Face id written `hf:org/name[@revision]`. Without one, the demo model.
 * `open`: what a bare checkpoint lacks (tokenizer files, labels, a config), as `bridgetower convert` takes them.
 */
export async function loadBridgeTower(
  path: string = demoModelPath(),
  opts: BridgeTowerLoadOptions & {
    /**
     * What a bare checkpoint lacks.
     * @default none: what the weights and the files beside them carry
     */
    open?: OpenOptions;
  } = {},
): Promise<BridgeTower> {
  if (path.startsWith('hf:')) return BridgeTower.load(path, opts);
  const weights = await openModelWeights(path, opts.open);
  try {
    return await BridgeTower.load(weights, { createGpu: () => createNodeGpu(), ...opts });
  } finally {
    await weights.close();
  }
}
