// Loading a model in Node: from a path (web-format directory, .ckpt, .safetensors, .bin, index.json) onto a
// Dawn device. Without a path, the bundled demo model.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openWeights, type OpenOptions } from '../checkpoint/open';
import { openPath } from '../checkpoint/source-node';
import { createNodeGpu } from '../gpu/node';
import { BridgeTower, type BridgeTowerLoadOptions } from './bridgetower';

/**
 * weights/demo of this package. Sources live in src/tasks/, the CLI bundle in dist/: try both depths.
 */
export function demoModelPath(): string {
  for (const rel of ['../weights/demo', '../../weights/demo']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${p}/manifest.json`)) return p;
  }
  return fileURLToPath(new URL('../../weights/demo', import.meta.url));
}

/** `open`: what a bare checkpoint lacks (tokenizer files, labels, a config), as `bridgetower convert` takes them. */
export async function loadBridgeTower(path: string = demoModelPath(), opts: BridgeTowerLoadOptions & { open?: OpenOptions } = {}): Promise<BridgeTower> {
  const { source, dir } = await openPath(path);
  const weights = await openWeights(source ?? dir, { dir, ...opts.open });
  try {
    return await BridgeTower.load(weights, { createGpu: () => createNodeGpu(), ...opts });
  } finally {
    await weights.close();
  }
}
