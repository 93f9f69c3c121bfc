// Node: the weights at a path (web-format directory, .ckpt, .safetensors, .bin, index.json, or a folder in the
// hub's layout), or of a Hugging Face id written `hf:org/name[@revision]`, converted through the on-disk cache.
import type { OpenOptions } from '../checkpoint/open';
import { openPathWeights } from '../checkpoint/source-node';
import type { ConvertibleWeights } from '../checkpoint/web-format-write';
import { NodeModelCache } from './cache-node';
import { parseHubId } from './hub-id';
import { openHubWeights, type HubOptions, type HubRuntime } from './load';

/** Node's answers to what the hub needs: HF_ENDPOINT / HF_TOKEN from the environment, the cache on disk. */
export const nodeHubRuntime: HubRuntime = {
  env: (name) => process.env[name] || undefined,
  modelCache: async (dir) => new NodeModelCache(dir),
};

/** The weights at a path, or of a Hugging Face id written `hf:org/name[@revision]` (through the cache). */
export async function openModelWeights(path: string, opts: OpenOptions & HubOptions = {}): Promise<ConvertibleWeights> {
  const hubId = parseHubId(path);
  if (hubId && path.startsWith('hf:')) return openHubWeights(hubId, opts, nodeHubRuntime);
  return openPathWeights(path, opts);
}
