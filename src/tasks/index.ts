// The package's public entry (browser and Node). Node-only helpers (file paths, Dawn) are in ./node.
export { BridgeTower, softmax, type BridgeTowerLoadOptions } from './bridgetower';
export { toRgb } from '../preprocess/image-input';
export type * from './types';
export { BridgeTowerError, IndexFileError, IndexMismatchError } from '../errors';
export { Gpu } from '../gpu/runtime';
export { BridgeTowerModel } from '../model/bridgetower';
export type { BridgeTowerConfig, Definition } from '../common/config';
export { SearchIndex, type IndexItem, type IndexEntry, type SearchHit, type AddSummary } from '../search/search-index';
