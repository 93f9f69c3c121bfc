// linear, workgroup-tiled (the variant for GPUs): the same computation and bindings as linear-blocked.wgsl.
//   y[m, off + n] = act(Σ_k x[m, k]·w[n, k] + bias[n]) + residual[m, off + n]
// Bindings, in order (optional ones only when their parameter asks for them):
//   x        [M, K] f32, or f16 packed two per u32 word (input f16; not with norm), row-major, row m starting at
//            element m·x_stride (K, or a multiple: every rowStep-th row)
//   w        [N, K] (PyTorch Linear layout): f32, f16 packed two per u32 word, or q8 / q4 codes packed four /
//            eight per u32 word in row-major element order
//   w_scale  q8: [N] f32 applied to the finished dot product; q4: [N, blocks] f32 per 32 elements of a row,
//            applied as the codes load                   (weight q8 or q4)
//   bias     [N] f32                                     (bias)
//   residual [M, out_stride] f32, same layout as y       (residual)
//   ln_weight, ln_bias [K] f32: x is LayerNorm'd on load (norm); x_normed [M, K] f32: x̂ written (normOut)
//   y        [M, out_stride] f32, or f16 packed two per u32 word (output f16, see lib/linear-epilogue.wgsl);
//            columns [off, off + N) are written
//   params   uniform Params
// Parameters: weight, input, output, bias, residual, activation, norm, normOut, as in linear-blocked.wgsl; count
// TM (16 or 64), the rows of a tile. Needs shaders/lib/activations.wgsl and linear-weights.wgsl in front.
// Workgroup: 16 x TM/4 invocations own a TM x 64 tile of y. Per step of 16 k, the workgroup stages x[TM rows, 16 k]
// and w[64 columns, 16 k] in workgroup memory, k-major in vec4s of 4 rows (columns), each invocation writing one
// whole vec4 of x and 64 / TM of w; then every invocation accumulates its 4 rows x 4 columns with two vec4 reads
// per k. TM = 16 is the shape for the text tower's M = 40 rows: 48 rows computed where 64 would be, and 3 x N / 64
// workgroups instead of N / 64 (36 at N = 768, where a GPU has ~100 cores to fill). Workgroups are numbered flat
// over (x, y) so counts above 65535 fold into y.

#if input == f16
@group(0) @binding(#) var<storage, read> x: array<u32>;
fn load_x(i: u32) -> f32 { return unpack2x16float(x[i >> 1u])[i & 1u]; }
#else
@group(0) @binding(#) var<storage, read> x: array<f32>;
fn load_x(i: u32) -> f32 { return x[i]; }
#endif
// load_w(i, s): the weight at element index i (shaders/lib/linear-weights.wgsl); s, the index of its q4 scale.
#if weight == f32
@group(0) @binding(#) var<storage, read> w: array<f32>;
#else
@group(0) @binding(#) var<storage, read> w: array<u32>;
#endif
fn load_w(i: u32, s: u32) -> f32 { return load_w_element(i, s); }
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
@group(0) @binding(#) var<storage, read> ln_weight: array<f32>;
@group(0) @binding(#) var<storage, read> ln_bias: array<f32>;
// Partial sums of the row statistics: [16 quads of 4 rows][16 k lanes].
var<workgroup> partial: array<vec4f, 256>;
#endif
#if normOut
@group(0) @binding(#) var<storage, read_write> x_normed: array<f32>;
#endif
#if output == f16
@group(0) @binding(#) var<storage, read_write> y: array<atomic<u32>>;
#else
@group(0) @binding(#) var<storage, read_write> y: array<f32>;
#endif

#if norm
// Σ over the 16 k lanes of quad q's partial sums (after a barrier), to every invocation.
fn lane_total(q: u32) -> vec4f {
  var s = vec4f(0.0);
  for (var l = 0u; l < 16u; l++) { s += partial[q * 16u + l]; }
  return s;
}
#endif

// [16 k][16 quads of 4 consecutive rows] and [16 k][16 quads of 4 consecutive columns].
var<workgroup> xs: array<vec4f, 256>;
var<workgroup> ws: array<vec4f, 256>;

// Quads of rows in a tile: the workgroup's height.
const QUADS = {TM}u / 4u;

@compute @workgroup_size(16, QUADS)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32) {
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  let tile = wg.x + wg.y * nwg.x;
  if (tile >= p.tiles) { return; }
  let tn = (tile % p.tiles_n) * 64u;
  let tm = (tile / p.tiles_n) * {TM}u;
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  // What this invocation stages each step: k = k0 + kk of rows 4·q .. 4·q + 3 of the tile, and of columns
  // 4·c .. 4·c + 3 for c = q, q + QUADS, ... < 16. Neighbouring invocations take neighbouring k, so each of the
  // 4 loads reads 16 consecutive floats per quad.
  let kk = t % 16u;
  let q = t / 16u;
  let xr0 = min(tm + q * 4u, p.M - 1u) * p.x_stride;
  let xr1 = min(tm + q * 4u + 1u, p.M - 1u) * p.x_stride;
  let xr2 = min(tm + q * 4u + 2u, p.M - 1u) * p.x_stride;
  let xr3 = min(tm + q * 4u + 3u, p.M - 1u) * p.x_stride;
#if norm
  // The LayerNorm statistics of this invocation's 4 rows, the 16 k lanes of a quad summing every 16th column, in
  // two passes on values shifted by each row's first element (as layernorm-workgroup.wgsl).
  let pivot = vec4f(load_x(xr0), load_x(xr1), load_x(xr2), load_x(xr3));
  var s = vec4f(0.0);
  for (var k = kk; k < p.K; k += 16u) { s += vec4f(load_x(xr0 + k), load_x(xr1 + k), load_x(xr2 + k), load_x(xr3 + k)) - pivot; }
  partial[t] = s;
  workgroupBarrier();
  let shift = lane_total(q) / f32(p.K);
  workgroupBarrier();
  var v = vec4f(0.0);
  for (var k = kk; k < p.K; k += 16u) {
    let d = (vec4f(load_x(xr0 + k), load_x(xr1 + k), load_x(xr2 + k), load_x(xr3 + k)) - pivot) - shift;
    v += d * d;
  }
  partial[t] = v;
  workgroupBarrier();
  let inv_sigma = 1.0 / sqrt(lane_total(q) / f32(p.K) + p.eps);
#endif
#if normOut
  let writer = tn == 0u;
#endif
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    let k = min(k0 + kk, p.K - 1u);
    let inside = k0 + kk < p.K;
#if norm
    let xv = ((vec4f(load_x(xr0 + k), load_x(xr1 + k), load_x(xr2 + k), load_x(xr3 + k)) - pivot) - shift) * inv_sigma * ln_weight[k] + ln_bias[k];
#else
    let xv = vec4f(load_x(xr0 + k), load_x(xr1 + k), load_x(xr2 + k), load_x(xr3 + k));
#endif
#if normOut
    if (writer && inside) {
      x_normed[xr0 + k] = xv.x;
      x_normed[xr1 + k] = xv.y;
      x_normed[xr2 + k] = xv.z;
      x_normed[xr3 + k] = xv.w;
    }
#endif
    xs[kk * 16u + q] = select(vec4f(0.0), xv, inside);
    let sb = k / 32u;
    for (var c = q; c < 16u; c += QUADS) {
      let n0 = min(tn + c * 4u, p.N - 1u);
      let n1 = min(tn + c * 4u + 1u, p.N - 1u);
      let n2 = min(tn + c * 4u + 2u, p.N - 1u);
      let n3 = min(tn + c * 4u + 3u, p.N - 1u);
      let wv = vec4f(load_w(n0 * p.K + k, n0 * p.blocks + sb), load_w(n1 * p.K + k, n1 * p.blocks + sb),
                     load_w(n2 * p.K + k, n2 * p.blocks + sb), load_w(n3 * p.K + k, n3 * p.blocks + sb));
      ws[kk * 16u + c] = select(vec4f(0.0), wv, inside);
    }
    workgroupBarrier();
    for (var s = 0u; s < 16u; s++) {
      let av = xs[s * 16u + lid.y];
      let bv = ws[s * 16u + lid.x];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    store4(tm + lid.y * 4u + i, tn + lid.x * 4u, acc[i]);
  }
}
