// attention-probs: scores[b, h, j] = q_i·k_j / sqrt(d) + mask[b, j] for one query row i (the wrapper then
// runs softmax over j): the attention row behind the app's cross-attention heatmap. Heads and offsets as in
// attention-streaming.wgsl (heads are contiguous chunks of d columns; offsets select q and k inside a fused qkv).
// Parameters: mask (additive key mask [B, Lk]), input (f32, or f16: q and k hold halves packed two per u32 word).
// Bindings (in order): q: [B, Lq, Wq]; k: [B, Lk, Wk]; mask: array<f32> [B, Lk] (mask);
//   scores: array<f32> [B, heads, Lk] (written); uniform Params.
// Workgroup: 64 invocations; the grid of ceil(B*heads*Lk/64) workgroups is folded into x*y.
// One invocation: one score (a d-long dot product).

const WG: u32 = 64u;

#if input == f16
@group(0) @binding(#) var<storage, read> q: array<u32>;
@group(0) @binding(#) var<storage, read> k: array<u32>;
fn load_q(i: u32) -> f32 { return unpack2x16float(q[i >> 1u])[i & 1u]; }
fn load_k(i: u32) -> f32 { return unpack2x16float(k[i >> 1u])[i & 1u]; }
#else
@group(0) @binding(#) var<storage, read> q: array<f32>;
@group(0) @binding(#) var<storage, read> k: array<f32>;
fn load_q(i: u32) -> f32 { return q[i]; }
fn load_k(i: u32) -> f32 { return k[i]; }
#endif
#if mask
@group(0) @binding(#) var<storage, read> mask: array<f32>;
#endif
@group(0) @binding(#) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.x + wid.y * nwg.x) * WG + lid;
  if (n >= p.batch * p.heads * p.lk) {
    return;
  }
  let j = n % p.lk;
  let bh = n / p.lk;
  let h = bh % p.heads;
  let b = bh / p.heads;
  let q_base = (b * p.lq + p.query) * p.q_stride + p.q_offset + h * p.head_dim;
  let k_base = (b * p.lk + j) * p.k_stride + p.k_offset + h * p.head_dim;
  var s = 0.0;
  for (var e = 0u; e < p.head_dim; e++) {
    s += load_q(q_base + e) * load_k(k_base + e);
  }
  s *= p.scale;
#if mask
  s += mask[b * p.lk + j];
#endif
  scores[n] = s;
}
