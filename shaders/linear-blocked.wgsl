// linear, register-blocked (no workgroup memory, no barriers: the variant for CPU adapters such as SwiftShader).
//   y[m, off + n] = act(Σ_k x[m, k]·w[n, k] + bias[n]) + residual[m, off + n]
// Bindings, in order (optional ones only when their flag is set):
//   x        [M, K] f32, row-major (vec4f words when VEC4)
//   w        [N, K] (PyTorch Linear layout): f32, or f16 packed two per u32 word (W_F16_*)
//   bias     [N] f32                                     (BIAS)
//   residual [M, out_stride] f32, same layout as y       (RESIDUAL)
//   y        [M, out_stride] f32; columns [off, off + N) are written
//   params   uniform Params
// Flags: VEC4 (K % 4 == 0: x and w are read four k at a time), W_F32_VEC4 / W_F16_VEC4 / W_F32_SCALAR /
// W_F16_SCALAR (weight type x read width; exactly one is set), BIAS, RESIDUAL, ACT_NONE / ACT_GELU / ACT_QUICKGELU /
// ACT_TANH (exactly one is set). Needs shaders/lib/activations.wgsl in front.
// Workgroup: 64 invocations, 8 x 8 blocks; one invocation computes a block of 4 rows x 4 columns of y, keeping the
// 16 sums in registers and reading each x and w value once per block. Blocks past M or N read clamped rows and
// write nothing. Workgroups are numbered flat over (x, y) so counts above 65535 fold into y.

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
alias XV = vec4f;
fn dotv(a: vec4f, b: vec4f) -> f32 { return dot(a, b); }
#else
@group(0) @binding(#) var<storage, read> x: array<f32>;
alias XV = f32;
fn dotv(a: f32, b: f32) -> f32 { return a * b; }
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

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tile = wg.x + wg.y * nwg.x;
  if (tile >= p.tiles) { return; }
  let n0 = ((tile % p.tiles_n) * 8u + lid.x) * 4u;
  let m0 = ((tile / p.tiles_n) * 8u + lid.y) * 4u;
#if VEC4
  let kv = p.K / 4u;
#else
  let kv = p.K;
#endif
  // Row starts (in XV units), clamped into the tensors so edge blocks read valid memory.
  let xr0 = min(m0, p.M - 1u) * kv;
  let xr1 = min(m0 + 1u, p.M - 1u) * kv;
  let xr2 = min(m0 + 2u, p.M - 1u) * kv;
  let xr3 = min(m0 + 3u, p.M - 1u) * kv;
  let wr0 = min(n0, p.N - 1u) * kv;
  let wr1 = min(n0 + 1u, p.N - 1u) * kv;
  let wr2 = min(n0 + 2u, p.N - 1u) * kv;
  let wr3 = min(n0 + 3u, p.N - 1u) * kv;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k = 0u; k < kv; k++) {
    let b0 = load_w(wr0 + k);
    let b1 = load_w(wr1 + k);
    let b2 = load_w(wr2 + k);
    let b3 = load_w(wr3 + k);
    let a0 = x[xr0 + k];
    acc0 += vec4f(dotv(a0, b0), dotv(a0, b1), dotv(a0, b2), dotv(a0, b3));
    let a1 = x[xr1 + k];
    acc1 += vec4f(dotv(a1, b0), dotv(a1, b1), dotv(a1, b2), dotv(a1, b3));
    let a2 = x[xr2 + k];
    acc2 += vec4f(dotv(a2, b0), dotv(a2, b1), dotv(a2, b2), dotv(a2, b3));
    let a3 = x[xr3 + k];
    acc3 += vec4f(dotv(a3, b0), dotv(a3, b1), dotv(a3, b2), dotv(a3, b3));
  }
  let accs = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      store(m0 + i, n0 + j, accs[i][j]);
    }
  }
}
