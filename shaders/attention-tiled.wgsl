// attention (tiled variant, for GPUs):
//   out[b, i, h*d : (h+1)*d] = softmax_j(q_i·k_j / sqrt(d) + mask[b, j]) · v_j for every head h,
// where q_i = q[b, i, qOff + h*d : ...], k_j = k[b, j, kOff + h*d : ...], v_j = v[b, j, vOff + h*d : ...]
// (heads are contiguous chunks of d columns; the offsets select q, k, v inside CLIP's fused [B, N, 3W] qkv).
//
// Fused, flash-attention style: a workgroup owns 64 query rows of one (b, h) and streams over the keys in
// tiles of T. Each tile's k and v rows (and mask values) are staged in workgroup memory by all invocations
// together, then every invocation scores its query row against the T keys and folds them into an online
// softmax: running max m, running sum l, and the accumulator rescaled by exp(m_old - m_new) when m grows.
// No Lq x Lk score matrix exists anywhere.
// Each k/v element is read from global memory once per workgroup instead of once per query row; every
// invocation then reads the same tile word at the same time (a broadcast). q and the accumulator are named
// values (`#for` blocks over the head dimension, unrolled by the wrapper, src/kernels/unroll.ts), so they stay
// in registers. Two barriers per tile. On an H200: 1297 x 1297 x 12 heads of 64 in ~0.4-0.8 ms, 3-6x
// faster than the streaming variant there. On SwiftShader this is slower than the subgroup and streaming variants
// (barriers and workgroup loads cost as much as global ones there), so the wrapper picks it for GPUs only.
//
// Parameters: vec4 (d and every column stride/offset divisible by 4: bind q, k, v, out as vec4 arrays),
//             mask (an additive key mask [B, Lk], e.g. (1 - attention_mask) * -10000),
//             input / output (f32, or f16: q, k, v / out hold halves packed two per u32 word, a vec2u per vec4;
//             the arithmetic is f32 either way; scalar f16 out is written in word pairs, so d is even).
//             Needs shaders/lib/f16-words.wgsl in front.
// Bindings (in order): q: [B, Lq, Wq]; k: [B, Lk, Wk]; v: [B, Lk, Wv]; mask: array<f32> [B, Lk] (mask);
//   out: [B, Lq, width] (written); uniform Params (strides and offsets in units of VT).
// Workgroup: 64 invocations along query rows; grid x = ceil(Lq / 64), y = B * heads.
// One invocation: one query row of one head, d output values (rows past Lq help stage tiles, store nothing).

#if vec4
alias VT = vec4f;
fn vdot(a: VT, b: VT) -> f32 { return dot(a, b); }
#else
alias VT = f32;
fn vdot(a: VT, b: VT) -> f32 { return a * b; }
#endif

// Vectors (VT) per head row and keys per tile.
const DV: u32 = {DV}u;
const T: u32 = {T}u;
const WG: u32 = 64u;
// Score of a key past Lk in the last tile: below any real score, so exp(NO_KEY - m) is 0.
const NO_KEY: f32 = -3.0e38;

// q, k, v: VT words (input f32) or halves packed in u32 words (input f16: a vec2u per vec4, else two per u32),
// widened to f32 as they load (lib/attention-qkv.wgsl); out likewise (output f16: halves rounded as they are stored).
#if input == f32
@group(0) @binding(#) var<storage, read> q: array<VT>;
@group(0) @binding(#) var<storage, read> k: array<VT>;
@group(0) @binding(#) var<storage, read> v: array<VT>;
#elif vec4
@group(0) @binding(#) var<storage, read> q: array<vec2u>;
@group(0) @binding(#) var<storage, read> k: array<vec2u>;
@group(0) @binding(#) var<storage, read> v: array<vec2u>;
#else
@group(0) @binding(#) var<storage, read> q: array<u32>;
@group(0) @binding(#) var<storage, read> k: array<u32>;
@group(0) @binding(#) var<storage, read> v: array<u32>;
#endif
#if mask
@group(0) @binding(#) var<storage, read> mask: array<f32>;
#endif
#if output == f32
@group(0) @binding(#) var<storage, read_write> out: array<VT>;
fn store_out(i: u32, x: VT) { out[i] = x; }
#elif vec4
@group(0) @binding(#) var<storage, read_write> out: array<vec2u>;
fn store_out(i: u32, x: VT) { out[i] = narrow4(x); }
#else
// Scalar f16 out: whole words, from a row's values in pairs (the wrapper asks for an even d).
@group(0) @binding(#) var<storage, read_write> out: array<u32>;
#endif

var<workgroup> tile_k: array<VT, T * DV>;
var<workgroup> tile_v: array<VT, T * DV>;
var<workgroup> tile_bias: array<f32, T>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = wid.x * WG + lid;
  let b = wid.y / p.heads;
  let h = wid.y - b * p.heads;

  let q_base = (b * p.lq + min(i, p.lq - 1u)) * p.q_stride + p.q_offset + h * DV;
#for c < DV
  let q_{c} = load_q(q_base + {c}u) * p.scale;
  var acc_{c} = VT(0.0);
#endfor
  var m = NO_KEY;
  var l = 0.0;
  let k_head = b * p.lk * p.k_stride + p.k_offset + h * DV;
  let v_head = b * p.lk * p.v_stride + p.v_offset + h * DV;
  for (var j0 = 0u; j0 < p.lk; j0 += T) {
    // The previous tile has been read by every invocation before it is overwritten.
    workgroupBarrier();
    for (var e = lid; e < T * DV; e += WG) {
      let j = j0 + e / DV;
      let c = e % DV;
      var kv = VT(0.0);
      var vv = VT(0.0);
      if (j < p.lk) {
        kv = load_k(k_head + j * p.k_stride + c);
        vv = load_v(v_head + j * p.v_stride + c);
      }
      tile_k[e] = kv;
      tile_v[e] = vv;
    }
    if (lid < T) {
      var bias = NO_KEY;
      if (j0 + lid < p.lk) {
#if mask
        bias = mask[b * p.lk + j0 + lid];
#else
        bias = 0.0;
#endif
      }
      tile_bias[lid] = bias;
    }
    workgroupBarrier();

    for (var t = 0u; t < T; t++) {
      var s = tile_bias[t];
#for c < DV
      s += vdot(q_{c}, tile_k[t * DV + {c}u]);
#endfor
      if (s > m) {
        let correction = exp(m - s);
        l *= correction;
#for c < DV
        acc_{c} *= correction;
#endfor
        m = s;
      }
      let w = exp(s - m);
      l += w;
#for c < DV
      acc_{c} += w * tile_v[t * DV + {c}u];
#endfor
    }
  }
  if (i < p.lq) {
    let inv = 1.0 / l;
    let out_base = (b * p.lq + i) * p.out_stride + h * DV;
#if output == f16 && !vec4
    var o: array<f32, DV>;
#for c < DV
    o[{c}u] = acc_{c} * inv;
#endfor
    for (var c = 0u; c < DV; c += 2u) { out[(out_base + c) >> 1u] = pack2x16float(vec2f(o[c], o[c + 1u])); }
#else
#for c < DV
    store_out(out_base + {c}u, acc_{c} * inv);
#endfor
#endif
  }
}
