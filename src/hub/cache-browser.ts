// The hub cache in a browser: the app's model storage (OPFS, else IndexedDB), one stored model per entry.
import { listStoredModels, openStoredModel, storeWeights } from '../checkpoint/web-storage-browser';
import type { ConvertOptions, ConvertibleWeights } from '../checkpoint/web-format-write';
import { CheckpointError } from '../errors';
import { isKeyOf, type ModelCache } from './cache';

export function browserModelCache(): ModelCache | undefined {
  if (typeof navigator === 'undefined' || (!navigator.storage?.getDirectory && typeof indexedDB === 'undefined'))
    return undefined;
  return {
    where: 'browser storage',
    async open(key: string): Promise<ConvertibleWeights | undefined> {
      try {
        return await openStoredModel(key);
      } catch (e) {
        if (e instanceof CheckpointError) return undefined;
        throw e;
      }
    },
    async store(key: string, weights: ConvertibleWeights, opts: ConvertOptions): Promise<ConvertibleWeights> {
      await storeWeights(weights, { ...opts, key, name: key });
      return openStoredModel(key);
    },
    async copiesOf(repo: string): Promise<string[]> {
      return (await listStoredModels())
        .filter((m) => m.complete && isKeyOf(m.key, repo))
        .map((m) => `the stored model ${m.key} (the app's list of stored models)`);
    },
  };
}
