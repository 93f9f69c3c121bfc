// The model's weights on the GPU, uploaded once from a WeightSet.
// Matrices (Linear weights, conv1, the text embedding tables, the MLM decoder) keep their stored dtype, so
// an f16 web format stays f16 on the GPU and the kernels widen it to f32 as they load it; q8 / q4 matrices
// (src/common/quantize.ts) stay packed codes + scales, dequantized by the kernels as they load. Everything
// else (biases, LayerNorm parameters, CLIP's class and positional embeddings) is widened to f32 on the CPU, exactly.
//
// Three changes of layout, none of which changes a computed value beyond float32 rounding of one addition:
// - projections that read the same input are stacked into one matrix (`...self.qkv`; for cross layer j's input on
//   one side, that side's q | k | v and the other side's cross-attention k | v): every output element is still the
//   same dot product;
// - the cross-modal token-type row is folded into the transform bias (`cross_modal_*_transform.bias+tt{k}`):
//   the original computes (x·Wᵀ + b) + tt[k], we compute x·Wᵀ + (b + tt[k]) with b + tt[k] rounded once from
//   float64, a difference of about one float32 ulp of the sum (~1e-7 relative), far inside the 1e-3 tolerance;
// - a matrix larger than one storage binding may hold is split into consecutive row chunks.
import { AbortedError, ConfigError, LimitError } from '../errors';
import type { Gpu } from '../gpu/runtime';
import { GPU_DTYPE_BYTES, type GpuTensor } from '../gpu/tensor';
import { layerNorm, type LayerNormOptions } from '../kernels/layernorm';
import { linear, type LinearNorm, type LinearOptions } from '../kernels/linear';
import type { WeightSet } from '../common/weight-set';
import { DTYPE_BYTES, numel, type HostTensor } from '../common/tensor';
import { toFloatDtype } from '../common/f16';
import { concatQuantRows, isQuantizable, Q4_BLOCK } from '../common/quantize';
import { expectedTensors } from '../common/parameters';
import type { LoadProgress } from '../common/progress';
import type { BridgeTowerConfig } from '../common/config';

export interface WeightUploadOptions {
  /**
   * Called as tensors are uploaded.
   * @default none
   */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Aborting it stops the upload with an AbortedError.
   * @default none
   */
  signal?: AbortSignal;
}

/** A host tensor ready for upload: f32 values, f16 bits, or q8 / q4 packed codes with their scales. */
export interface Upload {
  dtype: 'f32' | 'f16' | 'q8' | 'q4';
  shape: number[];
  data: Float32Array | Uint16Array | Uint8Array;
  scales?: Float32Array;
}

export const WORD_EMBEDDINGS = 'text_transformer.embeddings.word_embeddings.weight';
export const MLM_DECODER = 'mlm_score.decoder.weight';
export const MLM_BIAS = 'mlm_score.bias';
const TOKEN_TYPES = 'token_type_embeddings.weight';

/** A Linear layer of the checkpoint: act(x·weightᵀ + bias) + residual, options as the linear kernel's. */
export type Linear = (x: GpuTensor, opts?: Omit<LinearOptions, 'bias'>) => GpuTensor;
/** A LayerNorm of the checkpoint with its eps: act(LN(x + residual)), options as the layerNorm kernel's. */
export type LayerNorm = (x: GpuTensor, opts?: LayerNormOptions) => GpuTensor;

/**
 * The Linear that reads cross layer j's input on `side`: that side's self-attention q | k | v and the other side's
 * cross-attention k | v, stacked [5H, H].
 */
export const crossProjections = (side: 'text' | 'image', j: number): string => `cross_modal_${side}_layers.${j}.qkv+kv`;

/**
 * A hidden state whose LayerNorm (the checkpoint prefix `norm`, with `eps`) is left to its next reader: a linear
 * (its fused `norm`) or the bridge layer (layerNorm's `residualNorm`). Post-LN blocks end in one.
 */
export interface PendingNorm {
  raw: GpuTensor;
  norm: string;
  eps: number;
}

/** Name of a transform bias with token-type row k folded in. */
export const foldedBias = (side: 'text' | 'image', k: number): string => `cross_modal_${side}_transform.bias+tt${k}`;

export class ModelWeights {
  private readonly tensors = new Map<string, GpuTensor>();
  private readonly chunked = new Map<string, GpuTensor[]>();
  /** 0-d parameters (link-tower scaled_factor / beta, logit_scale), kept on the host as f32 values. */
  private readonly scalars = new Map<string, number>();
  private uploadedBytes = 0;

  private constructor(
    private readonly gpu: Gpu,
    readonly source: string,
  ) {}

  /** Upload every tensor `config` uses, reading each from `ws` once. */
  static async upload(
    gpu: Gpu,
    ws: WeightSet,
    config: BridgeTowerConfig,
    opts: WeightUploadOptions = {},
  ): Promise<ModelWeights> {
    const w = new ModelWeights(gpu, ws.source);
    try {
      await w.load(ws, config, opts);
    } catch (e) {
      w.dispose();
      throw e;
    }
    return w;
  }

  /** A whole tensor. */
  get(name: string): GpuTensor {
    const t = this.tensors.get(name);
    if (!t)
      throw new ConfigError(`${this.source}: weight ${name} was not uploaded (the config has no such layer or head)`);
    return t;
  }

  /** The Linear `{prefix}.weight`, `{prefix}.bias`. */
  linear(prefix: string): Linear {
    const weight = this.get(`${prefix}.weight`),
      bias = this.get(`${prefix}.bias`);
    return (x, opts = {}) => linear(this.gpu, x, weight, { bias, ...opts });
  }

  /** The LayerNorm `{prefix}.weight`, `{prefix}.bias` with `eps`. */
  layerNorm(prefix: string, eps: number): LayerNorm {
    const weight = this.get(`${prefix}.weight`),
      bias = this.get(`${prefix}.bias`);
    return (x, opts = {}) => layerNorm(this.gpu, x, weight, bias, eps, opts);
  }

  /** A pending hidden state normalised on its own (for readers that cannot fuse its LayerNorm). */
  normalize(x: PendingNorm): GpuTensor {
    return this.layerNorm(x.norm, x.eps)(x.raw);
  }

  /** The LayerNorm `{prefix}` with `eps` as a linear's fused `norm` (x normalised on load; x̂ written to `out`). */
  norm(prefix: string, eps: number, out?: GpuTensor): LinearNorm {
    return { weight: this.get(`${prefix}.weight`), bias: this.get(`${prefix}.bias`), eps, out };
  }

  /** Consecutive row chunks of a chunked tensor (one chunk when it fits a binding). */
  chunks(name: string): GpuTensor[] {
    const c = this.chunked.get(name);
    if (!c) throw new ConfigError(`${this.source}: weight ${name} was not uploaded`);
    return c;
  }

  /** A 0-d parameter's value. */
  scalar(name: string): number {
    const v = this.scalars.get(name);
    if (v === undefined) throw new ConfigError(`${this.source}: scalar ${name} was not loaded`);
    return v;
  }

  /** Bytes held on the GPU. */
  get bytes(): number {
    return this.uploadedBytes;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.release();
    for (const c of this.chunked.values()) for (const t of c) t.release();
    this.tensors.clear();
    this.chunked.clear();
    this.uploadedBytes = 0;
  }

  private async load(ws: WeightSet, c: BridgeTowerConfig, opts: WeightUploadOptions): Promise<void> {
    const names = expectedTensors(c).map(([n]) => n);
    const scalarNames = new Set(
      expectedTensors(c)
        .filter(([, shape]) => shape.length === 0)
        .map(([n]) => n),
    );
    const totalBytes = names.reduce((s, n) => {
      const info = ws.info(n);
      return s + (info ? numel(info.shape) * DTYPE_BYTES[info.dtype] : 0);
    }, 0);
    let loadedBytes = 0,
      done = 0;
    const read = async (name: string): Promise<HostTensor> => {
      if (opts.signal?.aborted) throw new AbortedError('loading the model was aborted');
      const t = await ws.read(name);
      loadedBytes += t.data.byteLength;
      opts.onProgress?.({ phase: 'upload', loadedBytes, totalBytes, tensors: ++done, totalTensors: names.length });
      return t;
    };
    const handled = new Set<string>();
    const take = async (name: string): Promise<HostTensor> => {
      handled.add(name);
      return read(name);
    };

    // Stacked projections: the Linears `parts` (prefixes) as the one Linear `fused`.
    const stack = async (parts: string[], fused: string): Promise<void> => {
      for (const what of ['weight', 'bias']) {
        const hosts = await Promise.all(parts.map((p) => take(`${p}.${what}`)));
        const fusedName = `${fused}.${what}`;
        const quant = hosts[0].dtype;
        if (what === 'weight' && (quant === 'q8' || quant === 'q4') && hosts.every((h) => h.dtype === quant)) {
          this.put(fusedName, asUpload(concatQuantRows(hosts), fusedName, true));
          continue;
        }
        const keepF16 = what === 'weight' && hosts.every((h) => h.dtype === 'f16');
        this.put(fusedName, concatRows(hosts.map((h, i) => asUpload(h, `${parts[i]}.${what}`, keepF16))));
      }
    };
    const qkv = (p: string) => ['query', 'key', 'value'].map((n) => `${p}.attention.self.${n}`);
    for (let i = 0; i < c.text.layers; i++) {
      const p = `text_transformer.encoder.layer.${i}`;
      await stack(qkv(p), `${p}.attention.self.qkv`);
    }
    for (const [side, other] of [
      ['text', 'image'],
      ['image', 'text'],
    ] as const) {
      for (let j = 0; j < c.numLayers; j++) {
        const kv = ['key', 'value'].map((n) => `cross_modal_${other}_layers.${j}.crossattention.self.${n}`);
        await stack([...qkv(`cross_modal_${side}_layers.${j}`), ...kv], crossProjections(side, j));
      }
    }

    // Token-type rows folded into the transform biases (row 0 for text, 1.. for images).
    const tt = toFloat64(await take(TOKEN_TYPES), TOKEN_TYPES);
    const H = c.hiddenSize;
    for (const side of ['text', 'image'] as const) {
      const name = `cross_modal_${side}_transform.bias`;
      const b = toFloat64(await take(name), name);
      const rows = side === 'text' ? [0] : Array.from({ length: c.tokenTypes - 1 }, (_, i) => i + 1);
      for (const k of rows) {
        const folded = new Float32Array(H);
        for (let d = 0; d < H; d++) folded[d] = b[d] + tt[k * H + d];
        this.put(foldedBias(side, k), { dtype: 'f32', shape: [H], data: folded });
      }
    }

    // The large tables: row chunks. The MLM bias is split like the decoder's rows.
    const words = await take(WORD_EMBEDDINGS);
    const wordRows = this.putChunked(WORD_EMBEDDINGS, asUpload(words, WORD_EMBEDDINGS, true));
    if (c.heads.mlm) {
      // Tied (HF tie_word_embeddings): the decoder is the word-embedding table already uploaded.
      const rows = c.tieWordEmbeddings
        ? wordRows
        : this.putChunked(MLM_DECODER, asUpload(await take(MLM_DECODER), MLM_DECODER, true));
      const bias = asUpload(await take(MLM_BIAS), MLM_BIAS, false);
      this.chunked.set(
        MLM_BIAS,
        rows.map(([r, n]) =>
          this.upload(`${MLM_BIAS}[${r}:${r + n}]`, {
            dtype: 'f32',
            shape: [n],
            data: bias.data.subarray(r, r + n),
          }),
        ),
      );
    }

    for (const name of names) {
      if (handled.has(name)) continue;
      const t = await read(name);
      if (scalarNames.has(name)) {
        this.scalars.set(name, (toFloatDtype(t, 'f32', name).data as Float32Array)[0]);
        continue;
      }
      const matrix = t.shape.length >= 2 && !name.startsWith('vit_model.visual.positional_embedding');
      this.put(name, asUpload(t, name, matrix));
    }
  }

  private upload(name: string, t: Upload): GpuTensor {
    const g =
      t.dtype === 'q8' || t.dtype === 'q4'
        ? this.gpu.uploadQuantized(t.data as Uint8Array, t.scales!, t.shape, t.dtype, name)
        : this.gpu.upload(t.data, t.shape, t.dtype, name);
    this.uploadedBytes += g.byteLength + (g.scales?.byteLength ?? 0);
    return g;
  }

  private put(name: string, t: Upload): void {
    this.tensors.set(name, this.upload(name, t));
  }

  /** Upload a 2-D tensor as row chunks within the binding and buffer limits; returns [firstRow, rows] per chunk. */
  private putChunked(name: string, t: Upload): Array<[number, number]> {
    const [rows, cols] = t.shape;
    const rowBytes = cols * GPU_DTYPE_BYTES[t.dtype];
    const limit = Math.min(this.gpu.caps.maxStorageBufferBindingSize, this.gpu.caps.maxBufferSize);
    // Even row counts keep every f16 chunk a whole number of u32 words; multiples of 8 do it for q8 / q4.
    const step = t.dtype === 'q8' || t.dtype === 'q4' ? 8 : 2;
    const perChunk = Math.floor(limit / rowBytes / step) * step;
    if (perChunk < step)
      throw new LimitError(
        `${this.source}: tensor ${name} has rows of ${rowBytes} bytes; a storage binding holds ${limit}`,
      );
    const ranges: Array<[number, number]> = [];
    const chunks: GpuTensor[] = [];
    for (let r = 0; r < rows; r += perChunk) {
      const n = Math.min(perChunk, rows - r);
      ranges.push([r, n]);
      chunks.push(this.upload(`${name}[${r}:${r + n}]`, chunkRows(t, r, n)));
    }
    this.chunked.set(name, chunks);
    return ranges;
  }
}

/** Rows [r, r + n) of a 2-D upload (r a multiple of 8 for q4, so its codes start on a whole byte). */
export function chunkRows(t: Upload, r: number, n: number): Upload {
  const cols = t.shape[1];
  if (t.dtype === 'q8' || t.dtype === 'q4') {
    const bytes = (rows: number): number => (t.dtype === 'q8' ? rows * cols : Math.ceil((rows * cols) / 2));
    const perRow = t.dtype === 'q8' ? 1 : Math.ceil(cols / Q4_BLOCK);
    return {
      dtype: t.dtype,
      shape: [n, cols],
      data: t.data.subarray(bytes(r), bytes(r + n)),
      scales: t.scales!.subarray(r * perRow, (r + n) * perRow),
    };
  }
  return { dtype: t.dtype, shape: [n, cols], data: t.data.subarray(r * cols, (r + n) * cols) };
}

/**
 * f16, q8 and q4 kept only where asked (matrices; q8 / q4 only for the ones the kernels read quantized);
 * every other dtype becomes f32.
 */
function asUpload(t: HostTensor, name: string, keep: boolean): Upload {
  if ((t.dtype === 'q8' || t.dtype === 'q4') && keep && isQuantizable(name, t.shape)) {
    return { dtype: t.dtype, shape: t.shape, data: t.data as Uint8Array, scales: t.scales };
  }
  const dtype = keep && t.dtype === 'f16' ? 'f16' : 'f32';
  const u = toFloatDtype(t, dtype, name);
  return { dtype, shape: u.shape, data: u.data as Float32Array | Uint16Array };
}

/** Stack same-dtype tensors along their first dimension. */
function concatRows(parts: Upload[]): Upload {
  const dtype = parts[0].dtype;
  const n = parts.reduce((s, p) => s + p.data.length, 0);
  const data = dtype === 'f16' ? new Uint16Array(n) : new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    if (p.dtype === 'f16') (data as Uint16Array).set(p.data, o);
    else (data as Float32Array).set(p.data, o);
    o += p.data.length;
  }
  return { dtype, shape: [parts.reduce((s, p) => s + p.shape[0], 0), ...parts[0].shape.slice(1)], data };
}

function toFloat64(t: HostTensor, name: string): Float64Array {
  return Float64Array.from(toFloatDtype(t, 'f32', name).data as Float32Array);
}
