// linear for a few rows (a GEMV shape: the poolers' and heads' M = B rows): the same computation as
// linear-blocked.wgsl, y[m, off + n] = act(Σ_k x[m, k]·w[n, k] + bias[n]) + residual[m, off + n], in workgroups
// of few columns for all rows.
// Bindings, in order (optional ones only when their parameter asks for them):
//   x        [M, K] f32, row-major (vec4f words when vec4), row m starting at m·x_stride words (K / 4 or K, or a
//            multiple: every rowStep-th row of a longer x); or (input f16; not with norm) halves packed two per
//            u32 word, a vec2u per vec4 when vec4
//   w        [N, K] (PyTorch Linear layout): f32, f16 packed two per u32 word, or q8 / q4 codes packed four /
//            eight per u32 word in row-major element order (src/common/quantize.ts)
//   w_scale  q8: [N] f32, one per row, applied to the finished dot product;
//            q4: [N, blocks] f32, one per 32 elements of a row, applied as the codes load   (weight q8 or q4)
//   bias     [N] f32                                     (bias)
//   residual [M, out_stride] f32, same layout as y       (residual)
//   ln_weight, ln_bias [K] f32 (XV words): x is LayerNorm'd (eps p.eps) on load (norm; x̂ is not written here)
//   y        [M, out_stride] f32, or f16 packed two per u32 word (output f16, see lib/linear-epilogue.wgsl);
//            columns [off, off + N) are written
//   params   uniform Params (p.tiles: workgroups, one per 4 columns (split) or per 4·WG columns)
// Parameters (src/kernels/linear.ts): weight (f32, f16, q8, q4); vec4 (K % 4 == 0: x and w are read four k at a
// time); split; input / output (f32 or f16 storage of x / y; the arithmetic is f32 either way); bias, residual,
// activation, norm. Counts: R rows summed per pass over w (4, or 8 split), C = 4 columns per invocation, WG
// invocations.
// Needs shaders/lib/activations.wgsl, f16-words.wgsl, linear-weights.wgsl (without vec4) and linear-epilogue.wgsl
// in front (and lib/workgroup-reduce.wgsl with norm, whose workgroup sums give the LayerNorm statistics).
// Workgroup, split (GPUs; WG = 64): the workgroup owns 4 columns of y for all M rows. Per pass of R rows,
// invocation t sums the k-steps t, t + 64, ... of R rows x 4 columns in registers (neighbouring invocations read
// neighbouring words of each weight row), the 64 partial vec4s of each row meet in workgroup memory, and
// invocation i < R adds them up and writes row i's 4 columns.
// Workgroup, not split (CPU adapters; WG = 16): invocation t owns 4 columns for all M rows and sums whole dot
// products, R rows at a time, with no workgroup memory and no barrier.
// Workgroups are numbered flat over (x, y) so counts above 65535 fold into y.
// Why these shapes: with M <= 8 the 64 x 64 tiles of linear-blocked / linear-tiled compute 8 (or 64) rows for
// each one kept and give a GPU ceil(N / 64) workgroups (12 at N = 768); split, 4 columns a workgroup give N / 4
// (192), each weight row read once per pass and the work of one dot product shared by 64 invocations. On
// SwiftShader a workgroup's barriers and serial tail cost more than its dot products at these sizes (measured at
// 1 x 768 x 768: split 25 ms, not split 2.6 ms, blocked with a 64-row tile 60 ms), so there each invocation sums
// whole products and a workgroup covers 64 columns (16 invocations measured ahead of 4 and 64).

#if vec4
alias XV = vec4f;
fn dotv(a: vec4f, b: vec4f) -> f32 { return dot(a, b); }
fn first(v: vec4f) -> f32 { return v.x; }
fn total(v: vec4f) -> f32 { return (v.x + v.y) + (v.z + v.w); }
// q4 scale index step: 32 elements are 8 vec4s.
const KB = 8u;
#else
alias XV = f32;
fn dotv(a: f32, b: f32) -> f32 { return a * b; }
fn first(v: f32) -> f32 { return v; }
fn total(v: f32) -> f32 { return v; }
const KB = 32u;
#endif
// load_x(i): x at XV index i.
#if input == f16 && vec4
@group(0) @binding(#) var<storage, read> x: array<vec2u>;
fn load_x(i: u32) -> vec4f { return widen4(x[i]); }
#elif input == f16
@group(0) @binding(#) var<storage, read> x: array<u32>;
fn load_x(i: u32) -> f32 { return unpack2x16float(x[i >> 1u])[i & 1u]; }
#elif vec4
@group(0) @binding(#) var<storage, read> x: array<vec4f>;
fn load_x(i: u32) -> vec4f { return x[i]; }
#else
@group(0) @binding(#) var<storage, read> x: array<f32>;
fn load_x(i: u32) -> f32 { return x[i]; }
#endif
// load_w(i, s): the weights at XV index i (shaders/lib/linear-weights.wgsl); s, the index of their q4 scale.
#if weight == f32 && vec4
@group(0) @binding(#) var<storage, read> w: array<vec4f>;
fn load_w(i: u32, s: u32) -> vec4f { return w[i]; }
#elif weight == f16 && vec4
@group(0) @binding(#) var<storage, read> w: array<vec2u>;
fn load_w(i: u32, s: u32) -> vec4f { let h = w[i]; return vec4f(unpack2x16float(h.x), unpack2x16float(h.y)); }
#elif weight == q8 && vec4
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w(i: u32, s: u32) -> vec4f {
  return vec4f(bitcast<vec4i>(vec4u(w[i]) << vec4u(24u, 16u, 8u, 0u)) >> vec4u(24u));
}
#elif weight == q4 && vec4
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w(i: u32, s: u32) -> vec4f {
  let v = w[i >> 1u] >> (16u * (i & 1u));
  return vec4f(bitcast<vec4i>(vec4u(v) << vec4u(28u, 24u, 20u, 16u)) >> vec4u(28u)) * w_scale[s];
}
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
#if bias
@group(0) @binding(#) var<storage, read> bias: array<f32>;
#endif
#if residual
@group(0) @binding(#) var<storage, read> residual: array<f32>;
#endif
#if norm
@group(0) @binding(#) var<storage, read> ln_weight: array<XV>;
@group(0) @binding(#) var<storage, read> ln_bias: array<XV>;
// For workgroup_sum (lib/workgroup-reduce.wgsl).
var<workgroup> partial: array<f32, WG>;
// The LayerNorm of the row starting at XV index `start`, as layernorm-workgroup.wgsl computes it (two passes on
// values shifted by the row's first element, each invocation summing every WG-th word): vec3f(pivot, shift, 1/σ).
// Called from uniform control flow.
fn row_stats(start: u32, kv: u32, t: u32) -> vec3f {
  let pivot = first(load_x(start));
  var s = XV(0.0);
  for (var c = t; c < kv; c += WG) { s += load_x(start + c) - pivot; }
  let shift = workgroup_sum(total(s), t) / f32(p.K);
  var q = XV(0.0);
  for (var c = t; c < kv; c += WG) {
    let d = (load_x(start + c) - pivot) - shift;
    q += d * d;
  }
  return vec3f(pivot, shift, 1.0 / sqrt(workgroup_sum(total(q), t) / f32(p.K) + p.eps));
}
#endif
#if output == f16
@group(0) @binding(#) var<storage, read_write> y: array<atomic<u32>>;
#else
@group(0) @binding(#) var<storage, read_write> y: array<f32>;
#endif

// Invocations per workgroup.
const WG = {WG}u;
#if split
// Each invocation's C column sums of the pass's rows: [R rows][WG invocations].
var<workgroup> sums: array<vec4f, {R} * {WG}>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  let group = wg.x + wg.y * nwg.x;
  if (group >= p.tiles) { return; }
#if split
  let n0 = group * 4u;
  let k0 = t;
  let dk = WG;
#else
  let n0 = (group * WG + t) * 4u;
  let k0 = 0u;
  let dk = 1u;
#endif
#if vec4
  let kv = p.K / 4u;
#else
  let kv = p.K;
#endif
  // Weight row starts (in XV units) and q4 scale row starts, clamped so the last group reads valid memory.
#for j < C
  let wr{j} = min(n0 + {j}u, p.N - 1u) * kv;
  let sr{j} = min(n0 + {j}u, p.N - 1u) * p.blocks;
#endfor
  for (var m0 = 0u; m0 < p.M; m0 += {R}u) {
#for i < R
    let xr{i} = min(m0 + {i}u, p.M - 1u) * p.x_stride;
    var acc{i} = vec4f(0.0);
#endfor
#if norm
#for i < R
    let st{i} = row_stats(xr{i}, kv, t);
#endfor
#endif
    for (var k = k0; k < kv; k += dk) {
      let s = k / KB;
#for j < C
      let b{j} = load_w(wr{j} + k, sr{j} + s);
#endfor
#for i < R
#if norm
      let a{i} = ((load_x(xr{i} + k) - st{i}.x) - st{i}.y) * st{i}.z * ln_weight[k] + ln_bias[k];
#else
      let a{i} = load_x(xr{i} + k);
#endif
      acc{i} += vec4f(dotv(a{i}, b0), dotv(a{i}, b1), dotv(a{i}, b2), dotv(a{i}, b3));
#endfor
    }
#if split
#for i < R
    sums[{i}u * WG + t] = acc{i};
#endfor
    workgroupBarrier();
    if (t < {R}u) {
      var total4 = vec4f(0.0);
      for (var l = 0u; l < WG; l++) { total4 += sums[t * WG + l]; }
      store4(m0 + t, n0, total4);
    }
    // Every sum is read before the next pass writes `sums` again.
    workgroupBarrier();
#else
#for i < R
    store4(m0 + {i}u, n0, acc{i});
#endfor
#endif
  }
}
