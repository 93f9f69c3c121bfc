// The package's public entry (browser and Node): the task class, its types and its error classes.
// Node-only helpers (file paths, Dawn) are in ./node; the graph and the GPU runtime in ./advanced.
export { BridgeTower } from './bridgetower';
export type { BridgeTowerLoadOptions, ModelSource } from './load';
export type { VqaOptions } from './questions';
export type { RetrievalOptions } from './matching';
export type * from './types';
export * from '../errors';
export { HubError, type HubErrorKind } from '../hub/hub-error';
export { SearchIndex, type IndexItem, type IndexEntry, type SearchHit, type AddSummary } from '../search/search-index';
