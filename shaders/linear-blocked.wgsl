// linear, register-blocked (no workgroup memory, no barriers: the variant for CPU adapters such as SwiftShader).
//   y[m, off + n] = act(Σ_k x[m, k]·w[n, k] + bias[n]) + residual[m, off + n]
// Bindings, in order (optional ones only when their parameter asks for them):
//   x        [M, K] f32, row-major (vec4f words when vec4), row m starting at m·x_stride words (K / 4 or K, or a
//            multiple: every rowStep-th row of a longer x); or (input f16) halves packed two per
//            u32 word, a vec2u per vec4 when vec4, x_stride then counting vec4s or halves
//   w        [N, K] (PyTorch Linear layout): f32, f16 packed two per u32 word, or q8 / q4 codes packed four /
//            eight per u32 word in row-major element order (src/spec/quantize.ts)
//   w_scale  q8: [N] f32, one per row, applied to the finished dot product;
//            q4: [N, blocks] f32, one per 32 elements of a row, applied as the codes load   (weight q8 or q4)
//   bias     [N] f32                                     (bias)
//   residual [M, out_stride] f32, same layout as y       (residual)
//   y        [M, out_stride] f32, or f16 packed two per u32 word (output f16, see lib/linear-epilogue.wgsl);
//            columns [off, off + N) are written
//   params   uniform Params
// No fused LayerNorm here: normalising x inside the k loop cost ~25% more CPU than the plain product on SwiftShader
// (the 8 rows' statistics do not fit in registers beside the 64 sums), a LayerNorm pass of its own about 1%, so
// src/kernels/linear.ts runs `norm` as that pass in front of this kernel.
// Parameters (src/kernels/linear.ts): weight (f32, f16, q8, q4); vec4 (K % 4 == 0: x and w are read four k at a
// time); subgroups (with vec4: x is read one component per lane of a 4-lane subgroup and shared by broadcast;
// needs subgroups of exactly 4 lanes holding consecutive invocations, as on SwiftShader); pairs (q8 / q4 with
// K % 8 == 0: both k-steps of an iteration load at once, one vec2u of 8 int8 codes, or one u32 of 8 int4 codes
// and one scale); input / output (f32 or f16 storage of x / y; the arithmetic is f32 either way); bias, residual,
// activation. Needs shaders/lib/activations.wgsl, f16-words.wgsl, linear-weights.wgsl (without vec4) and
// linear-epilogue.wgsl in front.
// The per-row code is written once in `#for i < R` blocks (R = 8) that the wrapper unrolls (src/kernels/unroll.ts).
// Workgroup: 8 x H invocations (H, a count: 5) own an 8·H x 64 tile of y; one invocation computes 8 rows x 8
// columns, keeping the 64 sums in registers, and reads each x and w value once per block. 40 rows fit the text
// tower's 40 exactly (a 64-row tile took 35-40% more CPU time there on SwiftShader, at 40 x 768 x 768,
// 40 x 768 x 3072 and 40 x 3072 x 768) and waste no more than 64 rows elsewhere. Blocks past M or N read clamped
// rows and write nothing. Workgroups are numbered flat over (x, y) so counts above 65535 fold into y.
// Why this shape (measured on SwiftShader, where an invocation is one lane of a 4-wide SIMD group): a storage
// load with a per-lane index is a branchy 4-lane gather, and every value carried around a loop costs a masked
// blend per iteration, so the kernel maximises multiply-adds per loaded value (8x8 outputs: 4 per value) and per
// loop-carried sum (two k-steps per iteration). 8x8 ran 1.3-1.5 GFLOP/s per core against 0.8 for 4x4; 8x16 and
// 16x16 were no faster. With SUBGROUPS the four lanes of a SIMD group, which share their rows, load x once
// between them: another 1.1-1.3x.

#if subgroups
enable subgroups;
#endif
#if vec4
alias XV = vec4f;
fn dotv(a: vec4f, b: vec4f) -> f32 { return dot(a, b); }
// q4 scale index step: 32 elements are 8 vec4s.
const KB = 8u;
#else
alias XV = f32;
fn dotv(a: f32, b: f32) -> f32 { return a * b; }
const KB = 32u;
#endif
// fetch_x(i): x at XV index i.
#if input == f16 && vec4 && !subgroups
@group(0) @binding(#) var<storage, read> x: array<vec2u>;
fn fetch_x(i: u32) -> vec4f { return widen4(x[i]); }
#elif input == f16 && !vec4
@group(0) @binding(#) var<storage, read> x: array<u32>;
fn fetch_x(i: u32) -> f32 { return unpack2x16float(x[i >> 1u])[i & 1u]; }
#elif input == f16
// f16 x with subgroups: lanes 0 and 1 load the two words of a vec4 of halves, which all four lanes then share.
@group(0) @binding(#) var<storage, read> x: array<u32>;
var<private> lane: u32;
fn fetch_x(i: u32) -> vec4f {
  let h = x[i * 2u + (lane & 1u)];
  return widen4(vec2u(subgroupBroadcast(h, 0u), subgroupBroadcast(h, 1u)));
}
#elif vec4 && !subgroups
@group(0) @binding(#) var<storage, read> x: array<vec4f>;
fn fetch_x(i: u32) -> vec4f { return x[i]; }
#elif !vec4
@group(0) @binding(#) var<storage, read> x: array<f32>;
fn fetch_x(i: u32) -> f32 { return x[i]; }
#elif subgroups
// The 4 lanes of a subgroup (invocations lid.x = 4j .. 4j+3, same lid.y) work on the same rows: each loads one
// component of a vec4 of x and takes the other three from its neighbours, a quarter of the loads.
@group(0) @binding(#) var<storage, read> x: array<f32>;
var<private> lane: u32;
fn fetch_x(i: u32) -> vec4f {
  let v = x[i * 4u + lane];
  return vec4f(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u));
}
#endif
// load_w(i, s): the weights at XV index i (shaders/lib/linear-weights.wgsl); s, the index of their q4 scale.
#if weight == f32 && vec4
@group(0) @binding(#) var<storage, read> w: array<vec4f>;
fn load_w(i: u32, s: u32) -> vec4f { return w[i]; }
#elif weight == f16 && vec4
@group(0) @binding(#) var<storage, read> w: array<vec2u>;
fn load_w(i: u32, s: u32) -> vec4f { let h = w[i]; return vec4f(unpack2x16float(h.x), unpack2x16float(h.y)); }
#elif weight == q8 && vec4 && !pairs
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w(i: u32, s: u32) -> vec4f { return q8x4(w[i]); }
#elif weight == q8 && vec4
@group(0) @binding(#) var<storage, read> w: array<vec2u>;
fn load_w_pair(i: u32, s: u32) -> mat2x4f { let v = w[i >> 1u]; return mat2x4f(q8x4(v.x), q8x4(v.y)); }
#elif weight == q4 && vec4 && !pairs
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w(i: u32, s: u32) -> vec4f { return q4x4(w[i >> 1u] >> (16u * (i & 1u))) * w_scale[s]; }
#elif weight == q4 && vec4
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w_pair(i: u32, s: u32) -> mat2x4f { let v = w[i >> 1u]; let c = w_scale[s]; return mat2x4f(q4x4(v) * c, q4x4(v >> 16u) * c); }
#elif weight == f32
@group(0) @binding(#) var<storage, read> w: array<f32>;
fn load_w(i: u32, s: u32) -> f32 { return load_w_element(i, s); }
#else
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w(i: u32, s: u32) -> f32 { return load_w_element(i, s); }
#endif
#if weight == q8 || weight == q4
@group(0) @binding(#) var<storage, read> w_scale: array<f32>;
#endif
// The four int8 codes of a word (byte j = element j), and the four int4 codes of its low 16 bits, as floats.
fn q8x4(v: u32) -> vec4f { return vec4f(bitcast<vec4i>(vec4u(v) << vec4u(24u, 16u, 8u, 0u)) >> vec4u(24u)); }
fn q4x4(v: u32) -> vec4f { return vec4f(bitcast<vec4i>(vec4u(v) << vec4u(28u, 24u, 20u, 16u)) >> vec4u(28u)); }
#if bias
@group(0) @binding(#) var<storage, read> bias: array<f32>;
#endif
#if residual
@group(0) @binding(#) var<storage, read> residual: array<f32>;
#endif
#if output == f16
@group(0) @binding(#) var<storage, read_write> y: array<atomic<u32>>;
#else
@group(0) @binding(#) var<storage, read_write> y: array<f32>;
#endif

// Row a against four columns.
fn dot4(a: XV, b0: XV, b1: XV, b2: XV, b3: XV) -> vec4f {
  return vec4f(dotv(a, b0), dotv(a, b1), dotv(a, b2), dotv(a, b3));
}

@compute @workgroup_size(8, {H})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tile = wg.x + wg.y * nwg.x;
  if (tile >= p.tiles) { return; }
#if subgroups
  lane = lid.x % 4u;
#endif
  let n0 = ((tile % p.tiles_n) * 8u + lid.x) * 8u;
  let m0 = ((tile / p.tiles_n) * {H}u + lid.y) * 8u;
#if vec4
  let kv = p.K / 4u;
#else
  let kv = p.K;
#endif
  // Row starts (in XV units), clamped into the tensors so edge blocks read valid memory.
#for i < R
  let xr{i} = min(m0 + {i}u, p.M - 1u) * p.x_stride;
#endfor
#for j < R
  let wr{j} = min(n0 + {j}u, p.N - 1u) * kv;
  let sr{j} = min(n0 + {j}u, p.N - 1u) * p.blocks;
#endfor
  // acc<row>_<column quad>
#for i < R
  var acc{i}_0 = vec4f(0.0);
  var acc{i}_1 = vec4f(0.0);
#endfor
  // Two k-steps per iteration; when kv is odd the last second step reads a clamped k and zeroes the x side.
  for (var k = 0u; k < kv; k += 2u) {
    let k1 = min(k + 1u, kv - 1u);
    let has1 = k + 1u < kv;
#if pairs
#for j < R
    let pair{j} = load_w_pair(wr{j} + k, sr{j} + k / KB);
    let b{j} = pair{j}[0];
    let d{j} = pair{j}[1];
#endfor
#else
#for j < R
    let b{j} = load_w(wr{j} + k, sr{j} + k / KB);
#endfor
#for j < R
    let d{j} = load_w(wr{j} + k1, sr{j} + k1 / KB);
#endfor
#endif
#for i < R
    let a{i} = fetch_x(xr{i} + k);
    let e{i} = select(XV(0.0), fetch_x(xr{i} + k1), has1);
    acc{i}_0 += dot4(a{i}, b0, b1, b2, b3) + dot4(e{i}, d0, d1, d2, d3);
    acc{i}_1 += dot4(a{i}, b4, b5, b6, b7) + dot4(e{i}, d4, d5, d6, d7);
#endfor
  }
  let accs = array<vec4f, 16>(acc0_0, acc0_1, acc1_0, acc1_1, acc2_0, acc2_1, acc3_0, acc3_1, acc4_0, acc4_1, acc5_0, acc5_1, acc6_0, acc6_1, acc7_0, acc7_1);
  for (var i = 0u; i < 8u; i++) {
    store4(m0 + i, n0, accs[i * 2u]);
    store4(m0 + i, n0 + 4u, accs[i * 2u + 1u]);
  }
}
