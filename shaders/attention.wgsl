// attention: out[b, i, h*d : (h+1)*d] = softmax_j(q_i·k_j / sqrt(d) + mask[b, j]) · v_j for every head h,
// where q_i = q[b, i, qOff + h*d : ...], k_j = k[b, j, kOff + h*d : ...], v_j = v[b, j, vOff + h*d : ...]
// (heads are contiguous chunks of d columns; the offsets select q, k, v inside CLIP's fused [B, N, 3W] qkv).
// Fused, flash-attention style: one invocation streams over the keys of its (b, h, query row) with an online
// softmax (running max m, running sum l, accumulator rescaled by exp(m_old - m_new) when the max grows), so
// no Lq x Lk score matrix exists and no workgroup barrier is needed (SwiftShader makes barriers expensive).
// The head dimension is compiled in: the wrapper prepends `const HEAD_DIM: u32`, so q and the accumulator
// live in fixed-size private arrays the compiler can keep in registers.
// Flags: VEC4 (d and every column stride/offset divisible by 4: bind q, k, v, out as vec4 arrays),
//        MASK (an additive key mask [B, Lk], e.g. (1 - attention_mask) * -10000).
// Bindings (in order): q: [B, Lq, Wq]; k: [B, Lk, Wk]; v: [B, Lk, Wv]; mask: array<f32> [B, Lk] (MASK);
//   out: [B, Lq, width] (written); uniform Params (strides and offsets in units of VT).
// Workgroup: 64 invocations along query rows; grid x = ceil(Lq / 64), y = B * heads.
// One invocation: one query row of one head: d output values.

#if VEC4
alias VT = vec4f;
const VW: u32 = 4u;
fn vdot(a: VT, b: VT) -> f32 { return dot(a, b); }
#else
alias VT = f32;
const VW: u32 = 1u;
fn vdot(a: VT, b: VT) -> f32 { return a * b; }
#endif

const DV: u32 = HEAD_DIM / VW;
const WG: u32 = 64u;

struct Params {
  lq: u32,
  lk: u32,
  heads: u32,
  q_stride: u32,
  k_stride: u32,
  v_stride: u32,
  out_stride: u32,
  q_offset: u32,
  k_offset: u32,
  v_offset: u32,
  scale: f32,
}

@group(0) @binding(#) var<storage, read> q: array<VT>;
@group(0) @binding(#) var<storage, read> k: array<VT>;
@group(0) @binding(#) var<storage, read> v: array<VT>;
#if MASK
@group(0) @binding(#) var<storage, read> mask: array<f32>;
#endif
@group(0) @binding(#) var<storage, read_write> out: array<VT>;
@group(0) @binding(#) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x * WG + lid;
  if (i >= p.lq) {
    return;
  }
  let b = wid.y / p.heads;
  let h = wid.y - b * p.heads;

  var qv: array<VT, DV>;
  var acc: array<VT, DV>;
  let q_base = (b * p.lq + i) * p.q_stride + p.q_offset + h * DV;
  for (var c = 0u; c < DV; c++) {
    qv[c] = q[q_base + c] * p.scale;
    acc[c] = VT(0.0);
  }
  // Scores are finite, so the first key always raises m from here and zeroes the (empty) accumulator's weight.
  var m = -3.0e38;
  var l = 0.0;
  var k_base = b * p.lk * p.k_stride + p.k_offset + h * DV;
  var v_base = b * p.lk * p.v_stride + p.v_offset + h * DV;
  for (var j = 0u; j < p.lk; j++) {
    var s = 0.0;
    for (var c = 0u; c < DV; c++) {
      s += vdot(qv[c], k[k_base + c]);
    }
#if MASK
    s += mask[b * p.lk + j];
#endif
    if (s > m) {
      let correction = exp(m - s);
      l *= correction;
      for (var c = 0u; c < DV; c++) {
        acc[c] *= correction;
      }
      m = s;
    }
    let w = exp(s - m);
    l += w;
    for (var c = 0u; c < DV; c++) {
      acc[c] += w * v[v_base + c];
    }
    k_base += p.k_stride;
    v_base += p.v_stride;
  }
  let inv = 1.0 / l;
  let out_base = (b * p.lq + i) * p.out_stride + h * DV;
  for (var c = 0u; c < DV; c++) {
    out[out_base + c] = acc[c] * inv;
  }
}
