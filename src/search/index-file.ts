// The saved search index: one safetensors file (extension .btindex by convention) that any safetensors reader
// opens.
//
//   tensors      vectors      F32 [n, D]  entry i's L2-normalised embedding (its `kind` says which: the ITC
//                                         image embedding, or HF's cross-modal embedding of picture and text)
//                probe.text   F32 [D]     the model's embedding of PROBE_TEXT   } recomputed on load: an index is
//                probe.image  F32 [D]     the model's embedding of probeImage() } refused by other weights
//   __metadata__ "bridgetower.search": a JSON string (IndexMetadata below):
//                { format: "bridgetower-search-index", version: 1,
//                  model: { source, dimension, dtype, imagePreprocess, definitions, config },
//                  entries: [{ id, kind: "image" | "pair", text?, meta? }, ...] }   (row i of vectors = entries[i])
//
// `model.config` is the model's whole configuration, `definitions` whose code defines its outputs (src/common/
// config.ts), `dtype` the stored dtype of its ITC heads (f32, f16, q8, q4). Readers check every size against the
// bytes present before using a tensor, and every entry's fields, before anything is built from them.
import { CheckpointError, IndexFileError } from '../errors';
import type { BridgeTowerConfig, definitions, ImagePreprocess } from '../common/config';
import type { HostTensor } from '../common/tensor';
import { parseSafetensorsHeader, readSafetensors } from '../checkpoint/safetensors';
import { writeSafetensors } from '../checkpoint/safetensors-write';

export const INDEX_FORMAT = 'bridgetower-search-index';
export const INDEX_VERSION = 1;
const METADATA_KEY = 'bridgetower.search';

/** What made the vectors: an index is refused by a model that differs in any of these. */
export interface ModelIdentity {
  /** Where the model was loaded from (shown in messages; not compared). */
  source: string;
  dimension: number;
  dtype: string;
  imagePreprocess: ImagePreprocess;
  definitions: ReturnType<typeof definitions>;
  config: BridgeTowerConfig;
}

/** JSON values, as entries' metadata may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface IndexEntry {
  /** Unique in the index: a file path, a URL, `video.webm#t=12`… */
  id: string;
  /** 'image': the picture's ITC embedding; 'pair': HF's cross-modal embedding of the picture with `text`. */
  kind: 'image' | 'pair';
  /** Text that came with the picture (a transcript segment, a caption). */
  text?: string;
  meta?: { [key: string]: Json };
}

export interface IndexContents {
  model: ModelIdentity;
  entries: IndexEntry[];
  /** [entries.length, model.dimension] */
  vectors: Float32Array;
  probe: { text: Float32Array; image: Float32Array };
}

interface IndexMetadata {
  format: string;
  version: number;
  model: ModelIdentity;
  entries: IndexEntry[];
}

export function writeIndexFile(c: IndexContents): Uint8Array {
  const D = c.model.dimension;
  const meta: IndexMetadata = { format: INDEX_FORMAT, version: INDEX_VERSION, model: c.model, entries: c.entries };
  return writeSafetensors(
    {
      vectors: { dtype: 'F32', shape: [c.entries.length, D], data: c.vectors },
      'probe.text': { dtype: 'F32', shape: [D], data: c.probe.text },
      'probe.image': { dtype: 'F32', shape: [D], data: c.probe.image },
    },
    { [METADATA_KEY]: JSON.stringify(meta) },
  );
}

/** Parse and check a saved index; `file` names it in errors. */
export function readIndexFile(bytes: Uint8Array, file: string): IndexContents {
  const fail = (why: string) => new IndexFileError(file, why);
  let tensors: Map<string, HostTensor>;
  let metadata: Record<string, string>;
  try {
    const header = parseSafetensorsHeader(bytes, bytes.byteLength, file);
    if ('need' in header) throw new CheckpointError(file, `truncated: the header needs ${header.need} bytes`);
    metadata = header.metadata;
    tensors = readSafetensors(bytes, file);
  } catch (e) {
    throw fail(`not a search index (${e instanceof CheckpointError ? e.message.slice(file.length + 2) : String(e)})`);
  }
  const raw = metadata[METADATA_KEY];
  if (typeof raw !== 'string') throw fail(`not a search index (its safetensors metadata has no "${METADATA_KEY}")`);
  let meta: IndexMetadata;
  try {
    meta = JSON.parse(raw);
  } catch (e) {
    throw fail(`the index metadata is not JSON (${(e as Error).message})`);
  }
  if (meta?.format !== INDEX_FORMAT) throw fail(`format ${JSON.stringify(meta?.format)}, not ${INDEX_FORMAT}`);
  if (meta.version !== INDEX_VERSION) {
    throw fail(`index format version ${JSON.stringify(meta.version)}; this library reads version ${INDEX_VERSION}`);
  }
  const D = meta.model?.dimension;
  if (!Number.isSafeInteger(D) || D <= 0 || typeof meta.model.config !== 'object' || meta.model.config === null) {
    throw fail('the model record has no dimension or configuration');
  }
  if (!Array.isArray(meta.entries)) throw fail('"entries" is not a list');
  const seen = new Set<string>();
  meta.entries.forEach((e, i) => {
    if (typeof e?.id !== 'string' || e.id === '') throw fail(`entry ${i} has no id`);
    if (seen.has(e.id)) throw fail(`entry ${i}: the id ${JSON.stringify(e.id.slice(0, 200))} is there twice`);
    seen.add(e.id);
    if (e.kind !== 'image' && e.kind !== 'pair') throw fail(`entry ${i}: kind ${JSON.stringify(e.kind)}`);
    if (e.text !== undefined && typeof e.text !== 'string') throw fail(`entry ${i}: text is not a string`);
    if (e.meta !== undefined && (typeof e.meta !== 'object' || e.meta === null || Array.isArray(e.meta)))
      throw fail(`entry ${i}: meta is not an object`);
  });
  const tensor = (name: string, shape: number[]): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw fail(`tensor ${name} is missing`);
    if (t.dtype !== 'f32' || t.shape.join() !== shape.join()) {
      throw fail(`tensor ${name} is ${t.dtype} [${t.shape.join()}], expected f32 [${shape.join()}]`);
    }
    const data = (t.data as Float32Array).slice();
    if (!data.every(Number.isFinite)) throw fail(`tensor ${name} holds a value that is not finite`);
    return data;
  };
  return {
    model: meta.model,
    entries: meta.entries,
    vectors: tensor('vectors', [meta.entries.length, D]),
    probe: { text: tensor('probe.text', [D]), image: tensor('probe.image', [D]) },
  };
}
