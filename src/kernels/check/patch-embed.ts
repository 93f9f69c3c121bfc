// patchEmbed's check: cases against a direct float64 stride-P convolution, with both matmul variants, and the
// benchmarks, the ViT patch embedding (im2col + linear) of one 288px and one 576px image, 16px patches, width 768.
// Tolerance as for linear (see linear.ts): K = 3·P² terms summed in float32, inputs in [-1, 1) and
// weights in [-2, 2)/√K, so |a-b| <= 1e-6 + 6e-7·√K + 2e-6·|b|.
import type { Gpu } from '../../gpu/runtime';
import type { LinearVariant } from '../linear';
import { patchEmbed } from '../patch-embed';
import { dequantize, quantize, type QuantDType } from '../../common/quantize';
import type { HostTensor } from '../../common/tensor';
import { toF16 } from './math';
import { compare, poison, randomF32, rng, type CaseResult, type KernelCase, type KernelCheck } from './harness';
import { benchWeight } from './linear-bench';
import { randomTensor, type KernelBenchmark } from './benchmark';

interface PatchSpec {
  name: string;
  B: number;
  S: number;
  P: number;
  Hv: number;
  f16?: boolean;
  quant?: QuantDType;
  seed: number;
  variants: LinearVariant[];
}

const SPECS: PatchSpec[] = [
  { name: '2 images 12x12, patches of 4, Hv=10', B: 2, S: 12, P: 4, Hv: 10, seed: 21, variants: ['blocked', 'tiled'] },
  {
    name: 'f16 conv1, 15x15, patches of 5 (K = 75), Hv=7',
    B: 1,
    S: 15,
    P: 5,
    Hv: 7,
    f16: true,
    seed: 22,
    variants: ['blocked', 'tiled'],
  },
  {
    name: 'q8 conv1, 15x15, patches of 5 (K = 75), Hv=7',
    B: 1,
    S: 15,
    P: 5,
    Hv: 7,
    quant: 'q8',
    seed: 24,
    variants: ['blocked', 'tiled'],
  },
  {
    name: 'q4 conv1, 2 images 16x16, patches of 8 (K = 192), Hv=9',
    B: 2,
    S: 16,
    P: 8,
    Hv: 9,
    quant: 'q4',
    seed: 25,
    variants: ['blocked', 'tiled'],
  },
  {
    name: 'ViT-B/16 at 288px: 1x3x288x288, Hv=768',
    B: 1,
    S: 288,
    P: 16,
    Hv: 768,
    seed: 23,
    variants: ['blocked', 'tiled'],
  },
];

/** out[b, gy·G + gx, h] = Σ_{c, ky, kx} pixels[b, c, gy·P + ky, gx·P + kx] · w[h, c, ky, kx]. */
function convRef(pixels: Float32Array, w: ArrayLike<number>, s: PatchSpec): Float64Array {
  const { B, S, P, Hv } = s;
  const G = S / P;
  const out = new Float64Array(B * G * G * Hv);
  for (let b = 0; b < B; b++) {
    for (let gy = 0; gy < G; gy++) {
      for (let gx = 0; gx < G; gx++) {
        for (let h = 0; h < Hv; h++) {
          let sum = 0;
          for (let c = 0; c < 3; c++) {
            for (let ky = 0; ky < P; ky++) {
              for (let kx = 0; kx < P; kx++) {
                sum += pixels[((b * 3 + c) * S + gy * P + ky) * S + gx * P + kx] * w[((h * 3 + c) * P + ky) * P + kx];
              }
            }
          }
          out[((b * G + gy) * G + gx) * Hv + h] = sum;
        }
      }
    }
  }
  return out;
}

const prepared = new Map<
  PatchSpec,
  { pixels: Float32Array; w: Float32Array; bits?: Uint16Array; q?: HostTensor; expected: Float64Array }
>();

async function run(gpu: Gpu, s: PatchSpec, variant: LinearVariant): Promise<CaseResult> {
  const K = 3 * s.P * s.P;
  let p = prepared.get(s);
  if (!p) {
    const rand = rng(s.seed);
    const pixels = randomF32(s.B * 3 * s.S * s.S, rand);
    let w = randomF32(s.Hv * K, rand, -2 / Math.sqrt(K), 2 / Math.sqrt(K));
    let bits: Uint16Array | undefined;
    if (s.f16) ({ bits, values: w } = toF16(w));
    // q8 / q4: the reference convolves with the dequantized weights code · scale (float64).
    const q = s.quant ? quantize(w, [s.Hv, 3, s.P, s.P], s.quant, 'conv1') : undefined;
    p = { pixels, w, bits, q, expected: convRef(pixels, q ? dequantize(q) : w, s) };
    prepared.set(s, p);
  }
  const pixels = gpu.upload(p.pixels, [s.B, 3, s.S, s.S], 'f32', 'pixels');
  const shape = [s.Hv, 3, s.P, s.P];
  const conv1 = p.q
    ? gpu.uploadQuantized(p.q.data as Uint8Array, p.q.scales!, shape, s.quant!, 'conv1')
    : p.bits
      ? gpu.upload(p.bits, shape, 'f16', 'conv1')
      : gpu.upload(p.w, shape, 'f32', 'conv1');
  const y = patchEmbed(gpu, pixels, conv1, { variant });
  // Recorded, not yet run: the poison lands first.
  poison(gpu, y);
  const [actual] = await gpu.read(y);
  for (const t of [pixels, conv1, y]) t.release();
  const G = s.S / s.P;
  const shapeOk = y.shape.join() === [s.B, G * G, s.Hv].join();
  const r = compare(actual, p.expected, 1e-6 + 6e-7 * Math.sqrt(K), 2e-6);
  return { ...r, pass: r.pass && shapeOk, detail: `output [${y.shape.join(', ')}]: ${r.detail}` };
}

const patchEmbedCases: KernelCase[] = SPECS.flatMap((s) =>
  s.variants.map((variant): KernelCase => ({
    kernel: 'patchEmbed',
    name: `${variant}: ${s.name}`,
    run: (gpu) => run(gpu, s, variant),
  })),
);

const P = 16,
  HV = 768,
  K = 3 * P * P;

const patchEmbedBenchmarks: KernelBenchmark[] = [288, 576].map((S) => ({
  kernel: 'patchEmbed',
  shape: `[1, 3, ${S}, ${S}], ${P}px patches -> ${HV}`,
  // The matmul's FLOPs; im2col itself only moves the pixels.
  work: { flops: 2 * (S / P) ** 2 * K * HV },
  setup(gpu, rand, opts) {
    const pixels = randomTensor(gpu, [1, 3, S, S], rand, 'pixels');
    // conv1 as the [Hv, K] matrix it is quantized as, viewed as [Hv, 3, P, P].
    const weights = opts.weights.map((d) => [d, benchWeight(gpu, d, HV, K, rand)] as const);
    return {
      variants: (['blocked', 'tiled'] as const).flatMap((variant) =>
        weights.map(([d, w]) => ({
          name: `${variant} ${d}`,
          run: () => patchEmbed(gpu, pixels, w.reshape([HV, 3, P, P]), { variant }).release(),
        })),
      ),
      release: () => {
        pixels.release();
        for (const [, w] of weights) w.release();
      },
    };
  },
}));

export const patchEmbedCheck: KernelCheck = {
  kernel: 'patchEmbed',
  cases: patchEmbedCases,
  benchmarks: patchEmbedBenchmarks,
};
