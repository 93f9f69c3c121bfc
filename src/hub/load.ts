// Open a model by its Hugging Face id: config.json, the tokenizer, the weights in the hub's order of
// preference, read with Range requests and converted to the web format as they arrive, into the cache
// (keyed by repo, revision, commit and ETags) so that a second load reads no weights from the hub.
import { MemorySource, readJson, readText, type ByteSource, type Directory } from '../checkpoint/byte-source';
import { openWeights } from '../checkpoint/open';
import { parseMergesTxt, parseTokenizerJson, parseVocabJson } from '../checkpoint/tokenizer-files';
import { WebFormatWeights } from '../checkpoint/web-format';
import {
  writeWebFormat,
  type ConvertOptions,
  type ConvertibleWeights,
  type FileSink,
  type WebFormatSink,
} from '../checkpoint/web-format-write';
import type { TokenizerFiles } from '../common/weight-set';
import type { LoadProgress } from '../common/progress';
import { cacheKey, type ModelCache } from './cache';
import { HubRepo } from './hub-directory';
import { HubError } from './hub-error';
import type { HubId } from './hub-id';

/** Weight files in order of preference; an index names its shards. */
export const HUB_WEIGHT_FILES = [
  'model.safetensors',
  'model.safetensors.index.json',
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
];

export interface HubOptions {
  /**
   * Branch, tag or commit.
   * @default the `@revision` of the id, else 'main'
   */
  revision?: string;
  /**
   * The hub, or a mirror of it.
   * @default HF_ENDPOINT in Node and the CLI, else 'https://huggingface.co'
   */
  hubEndpoint?: string;
  /**
   * Sent as a bearer token (gated or private repos).
   * @default HF_TOKEN in Node and the CLI, else none
   */
  accessToken?: string;
  /**
   * false: neither read nor write the cache.
   * @default true
   */
  cache?: boolean;
  /**
   * Node: the cache directory.
   * @default $BRIDGETOWER_CACHE, else $XDG_CACHE_HOME/bridgetower, else ~/.cache/bridgetower
   */
  cacheDir?: string;
  /**
   * The web-format dtype the weights are converted to.
   * @default 'f32'
   */
  dtype?: ConvertOptions['dtype'];
  /** @default none */
  signal?: AbortSignal;
  /** @default none */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Called with the file name before each request to the hub.
   * @default none
   */
  onRequest?: (file: string) => void;
}

/** What the hub needs from its runtime (the task API's Platform is one): its environment and its cache. */
export interface HubRuntime {
  /** An environment variable (HF_ENDPOINT, HF_TOKEN) where the runtime has them. */
  env(name: string): string | undefined;
  /** The cache of models converted from the hub; `dir` overrides its location where that means something. */
  modelCache?(dir?: string): Promise<ModelCache | undefined>;
}

export async function openHubWeights(id: HubId, opts: HubOptions, platform: HubRuntime): Promise<ConvertibleWeights> {
  const repo = new HubRepo(id.repo, {
    endpoint: opts.hubEndpoint ?? platform.env('HF_ENDPOINT'),
    revision: opts.revision ?? id.revision,
    accessToken: opts.accessToken ?? platform.env('HF_TOKEN'),
    signal: opts.signal,
    onRequest: opts.onRequest,
  });
  const config = await repo.open('config.json').catch(async (e: unknown) => {
    throw e instanceof HubError && e.kind === 'network' ? await unreachable(e, id.repo, opts, platform) : e;
  });
  if (!config)
    throw new HubError('not-found', repo.label, 'config.json', 'not found (HTTP 404): check the model id and revision');
  await readJson(config);
  const dtype = opts.dtype ?? 'f32';
  const cache = opts.cache === false ? undefined : await platform.modelCache?.(opts.cacheDir);
  const info = repo.infos.get('config.json');
  const key = cacheKey({
    endpoint: repo.endpoint,
    repo: id.repo,
    revision: repo.revision,
    commit: info?.commit,
    etags: { 'config.json': info?.etag },
    dtype,
  });
  const hit = await cache?.open(key);
  if (hit) return hit;

  const tokenizer = await readTokenizer(repo);
  let source: ByteSource | undefined;
  for (const file of HUB_WEIGHT_FILES) if ((source = await repo.open(file))) break;
  if (!source)
    throw new HubError('no-weights', repo.label, undefined, `no weights: none of ${HUB_WEIGHT_FILES.join(', ')}`);
  const weights = await openWeights(source, { dir: repo, tokenizer });
  const convert = convertOptions(dtype, opts);
  try {
    if (cache) return await cache.store(key, weights, convert);
    return await convertInMemory(weights, convert);
  } finally {
    await weights.close();
  }
}

/** The hub cannot be reached (offline, a typo in the endpoint): what else loads the model, and whether the cache can. */
async function unreachable(e: HubError, repo: string, opts: HubOptions, platform: HubRuntime): Promise<HubError> {
  const cache = opts.cache === false ? undefined : await platform.modelCache?.(opts.cacheDir);
  const copies = (await cache?.copiesOf(repo)) ?? [];
  const cached = !cache
    ? ''
    : copies.length
      ? `, or the cached copy: load ${copies.join(' or ')}`
      : `; the cache (${cache.where}) holds no copy of ${repo}`;
  const steps = `to load it, point HF_ENDPOINT (Node, CLI) or the hubEndpoint option at a reachable hub or mirror, or load a local folder of the model${cached}`;
  return new HubError('network', e.repo, e.file, `${e.detail}; ${steps}`);
}

/** tokenizer.json, else vocab.json + merges.txt; undefined when the repo has neither. */
async function readTokenizer(repo: Directory): Promise<TokenizerFiles | undefined> {
  const json = await repo.open('tokenizer.json');
  if (json) return parseTokenizerJson(await readText(json), json.name);
  const vocab = await repo.open('vocab.json');
  const merges = vocab && (await repo.open('merges.txt'));
  if (!vocab || !merges) return undefined;
  return {
    vocab: parseVocabJson(await readText(vocab), vocab.name),
    merges: parseMergesTxt(await readText(merges), merges.name),
  };
}

/** Without a cache, the converter still runs (the dtype applies), into memory. */
export async function convertInMemory(weights: ConvertibleWeights, opts: ConvertOptions): Promise<ConvertibleWeights> {
  const files = new MemoryFiles(weights.source);
  await writeWebFormat(weights, files, opts);
  return WebFormatWeights.open(files);
}

class MemoryFiles implements WebFormatSink, Directory {
  private readonly files = new Map<string, Uint8Array>();
  constructor(readonly name: string) {}
  async begin(): Promise<void> {}
  async create(file: string): Promise<FileSink> {
    let parts: Uint8Array[] = [];
    return {
      write: async (bytes) => {
        parts.push(bytes.slice());
      },
      close: async () => {
        await this.writeFile(file, concat(parts));
        parts = [];
      },
      abort: async () => {
        parts = [];
      },
    };
  }
  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    this.files.set(file, bytes);
  }
  async remove(file: string): Promise<void> {
    this.files.delete(file);
  }
  async open(file: string): Promise<ByteSource | undefined> {
    const bytes = this.files.get(file);
    return bytes && new MemorySource(bytes, `${this.name}/${file}`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Options of a conversion on load: to `dtype`, its progress reported as the load's 'convert' phase. */
export function convertOptions(
  dtype: ConvertOptions['dtype'],
  opts: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void },
): ConvertOptions {
  return {
    dtype,
    signal: opts.signal,
    onProgress: (p) =>
      opts.onProgress?.({
        phase: 'convert',
        loadedBytes: p.bytes,
        totalBytes: p.totalBytes,
        tensors: p.tensors,
        totalTensors: p.totalTensors,
      }),
  };
}
