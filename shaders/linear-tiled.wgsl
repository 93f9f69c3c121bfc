// linear, workgroup-tiled (the variant for GPUs): the same computation and bindings as linear-blocked.wgsl.
//   y[m, off + n] = act(Σ_k x[m, k]·w[n, k] + bias[n]) + residual[m, off + n]
// Bindings, in order (optional ones only when their flag is set):
//   x        [M, K] f32, row-major (vec4f words when VEC4)
//   w        [N, K] (PyTorch Linear layout): f32, or f16 packed two per u32 word (W_F16_*)
//   bias     [N] f32                                     (BIAS)
//   residual [M, out_stride] f32, same layout as y       (RESIDUAL)
//   y        [M, out_stride] f32; columns [off, off + N) are written
//   params   uniform Params
// Flags as in linear-blocked.wgsl. Needs shaders/lib/activations.wgsl in front.
// Workgroup: 16 x 16 invocations own a 64 x 64 tile of y. Per step of 16 k, the workgroup stages x[64 rows, 16 k]
// and w[64 columns, 16 k] in workgroup memory, k-major (each invocation loads 4 values of each), then every
// invocation accumulates its 4 rows x 4 columns from them. Workgroups are numbered flat over (x, y) so counts
// above 65535 fold into y.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  out_stride: u32,
  out_offset: u32,
  // workgroup tiles along N, and in total
  tiles_n: u32,
  tiles: u32,
}

#if VEC4
@group(0) @binding(#) var<storage, read> x: array<vec4f>;
#else
@group(0) @binding(#) var<storage, read> x: array<f32>;
#endif
#if W_F32_VEC4
@group(0) @binding(#) var<storage, read> w: array<vec4f>;
fn load_w(i: u32) -> vec4f { return w[i]; }
#endif
#if W_F16_VEC4
@group(0) @binding(#) var<storage, read> w: array<vec2u>;
fn load_w(i: u32) -> vec4f { let h = w[i]; return vec4f(unpack2x16float(h.x), unpack2x16float(h.y)); }
#endif
#if W_F32_SCALAR
@group(0) @binding(#) var<storage, read> w: array<f32>;
fn load_w(i: u32) -> f32 { return w[i]; }
#endif
#if W_F16_SCALAR
@group(0) @binding(#) var<storage, read> w: array<u32>;
fn load_w(i: u32) -> f32 { return unpack2x16float(w[i >> 1u])[i & 1u]; }
#endif
#if BIAS
@group(0) @binding(#) var<storage, read> bias: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding(#) var<storage, read> residual: array<f32>;
#endif
@group(0) @binding(#) var<storage, read_write> y: array<f32>;
@group(0) @binding(#) var<uniform> p: Params;

// [16 k][64 rows] and [16 k][64 columns]. Scalars, not vec4s: invocations write neighbouring elements, and a
// write to one component of a vector may touch the whole vector.
var<workgroup> xs: array<f32, 1024>;
var<workgroup> ws: array<f32, 1024>;

fn activate(v: f32) -> f32 {
#if ACT_NONE
  return v;
#endif
#if ACT_GELU
  return gelu_erf(v);
#endif
#if ACT_QUICKGELU
  return quick_gelu(v);
#endif
#if ACT_TANH
  return tanh_f32(v);
#endif
}

fn store(m: u32, n: u32, sum: f32) {
  if (m >= p.M || n >= p.N) { return; }
  var v = sum;
#if BIAS
  v += bias[n];
#endif
  v = activate(v);
  let i = m * p.out_stride + p.out_offset + n;
#if RESIDUAL
  v += residual[i];
#endif
  y[i] = v;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32) {
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  let tile = wg.x + wg.y * nwg.x;
  if (tile >= p.tiles) { return; }
  let tn = (tile % p.tiles_n) * 64u;
  let tm = (tile / p.tiles_n) * 64u;
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  // The (row or column, k) this invocation stages: 64 of them x 4 k-quads = 256 vec4 loads per tile.
  let sr = t / 4u;
  let sq = t % 4u;
  let xrow = min(tm + sr, p.M - 1u);
  let wrow = min(tn + sr, p.N - 1u);
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
#if VEC4
    let k4 = k0 / 4u + sq;
    let inside = k4 < p.K / 4u;
    let a = select(vec4f(0.0), x[xrow * (p.K / 4u) + min(k4, p.K / 4u - 1u)], inside);
    let b = select(vec4f(0.0), load_w(wrow * (p.K / 4u) + min(k4, p.K / 4u - 1u)), inside);
#else
    var a = vec4f(0.0);
    var b = vec4f(0.0);
    for (var c = 0u; c < 4u; c++) {
      let k = k0 + sq * 4u + c;
      let kc = min(k, p.K - 1u);
      a[c] = select(0.0, x[xrow * p.K + kc], k < p.K);
      b[c] = select(0.0, load_w(wrow * p.K + kc), k < p.K);
    }
#endif
    for (var c = 0u; c < 4u; c++) {
      let slot = (sq * 4u + c) * 64u + sr;
      xs[slot] = a[c];
      ws[slot] = b[c];
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      let xi = k * 64u + lid.y * 4u;
      let wi = k * 64u + lid.x * 4u;
      let av = vec4f(xs[xi], xs[xi + 1u], xs[xi + 2u], xs[xi + 3u]);
      let bv = vec4f(ws[wi], ws[wi + 1u], ws[wi + 2u], ws[wi + 3u]);
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      store(tm + lid.y * 4u + i, tn + lid.x * 4u + j, acc[i][j]);
    }
  }
}
