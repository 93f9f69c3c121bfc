// attention (subgroup variant, for CPU adapters with 4-lane subgroups such as SwiftShader):
//   out[b, i, h*d : (h+1)*d] = softmax_j(q_i·k_j / sqrt(d) + mask[b, j]) · v_j for every head h,
// where q_i = q[b, i, qOff + h*d : ...], k_j = k[b, j, kOff + h*d : ...], v_j = v[b, j, vOff + h*d : ...]
// (heads are contiguous chunks of d columns; the offsets select q, k, v inside CLIP's fused [B, N, 3W] qkv).
//
// Fused, flash-attention style, streaming over the keys with an online softmax (running max m, running sum l,
// accumulator rescaled by exp(m_old - m_new)); no Lq x Lk score matrix exists and no workgroup memory is used.
// The 4 lanes of a subgroup share RG groups of 4 query rows and split the head dimension: lane s holds
// vectors s, s+4, s+8, ... of q and of the accumulator of every row, loads only those vectors of each k and
// v row, and subgroupAdd completes the dot products. The softmax bookkeeping of row r of a group is done by
// lane r (one exp per lane per key serves 4 rows) and subgroupBroadcast hands the weights back.
// Why (SwiftShader): a storage load with a run-time index is a per-lane gather, ~20x the cost of a vec4
// multiply-add, and its JIT spills large register sets: here each k/v vector is loaded once per 4 * RG rows
// and a lane keeps only 2 * 4 * RG * DV/4 vectors live. The `#for` blocks are unrolled by the wrapper
// (src/kernels/unroll.ts), so every value has a compile-time name (private arrays indexed in loops would
// become gathers too).
// Needs: subgroup size exactly 4 with consecutive invocations per subgroup (SwiftShader), DV % 4 == 0.
// Parameters: mask (an additive key mask [B, Lk], e.g. (1 - attention_mask) * -10000), input / output (f32, or
// f16: q, k, v / out hold halves, four per vec2u word; the arithmetic is f32 either way). Always vec4 (d % 16 == 0).
// Needs shaders/lib/f16-words.wgsl in front.
// Bindings (in order): q: array<vec4f> [B, Lq, Wq/4]; k: [B, Lk, Wk/4]; v: [B, Lk, Wv/4];
//   mask: array<f32> [B, Lk] (mask); out: array<vec4f> [B, Lq, width/4] (written); vec2u in place of vec4f for f16;
//   uniform Params (strides and offsets in vec4 units).
// Workgroup: 64 invocations = 16 subgroups; grid x = ceil(Lq / (64 * RG)), y = B * heads.
// One invocation: a quarter (d/4 values) of each of 4 * RG query rows of one head; in a subgroup with some
// real rows, the rows past Lq compute on the last query (all 4 lanes take part) and store nothing.

enable subgroups;
// A subgroup whose rows all lie past Lq returns at once: the 4 lanes of a subgroup always take the same path,
// which is all its subgroup operations need (WGSL's analysis only knows workgroup uniformity).
diagnostic(off, subgroup_uniformity);

const DV: u32 = {DV}u;
const RG: u32 = {RG}u;
const WG: u32 = 64u;

// q, k, v and out: vec4f words, or (input / output f16) four halves packed in a vec2u, widened as they load
// (lib/attention-qkv.wgsl) and rounded as they are stored.
alias VT = vec4f;
#if input == f32
@group(0) @binding(#) var<storage, read> q: array<vec4f>;
@group(0) @binding(#) var<storage, read> k: array<vec4f>;
@group(0) @binding(#) var<storage, read> v: array<vec4f>;
#else
@group(0) @binding(#) var<storage, read> q: array<vec2u>;
@group(0) @binding(#) var<storage, read> k: array<vec2u>;
@group(0) @binding(#) var<storage, read> v: array<vec2u>;
#endif
#if mask
@group(0) @binding(#) var<storage, read> mask: array<f32>;
#endif
#if output == f32
@group(0) @binding(#) var<storage, read_write> out: array<vec4f>;
fn store_out(i: u32, x: vec4f) { out[i] = x; }
#else
@group(0) @binding(#) var<storage, read_write> out: array<vec2u>;
fn store_out(i: u32, x: vec4f) { out[i] = narrow4(x); }
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // Rows i0 + 4g + r, g < RG, r < 4, belong to this subgroup.
  let i0 = (wid.x * WG + (lid / 4u) * 4u) * RG;
  if (i0 >= p.lq) {
    return;
  }
  let b = wid.y / p.heads;
  let h = wid.y - b * p.heads;

#for g < RG
#for r < SG
  let q_base_{g}_{r} = (b * p.lq + min(i0 + {g}u * 4u + {r}u, p.lq - 1u)) * p.q_stride + p.q_offset + h * DV + lane;
#for t < DV4
  let q_{g}_{r}_{t} = load_q(q_base_{g}_{r} + {t}u * 4u) * p.scale;
  var acc_{g}_{r}_{t} = vec4f(0.0);
#endfor
#endfor
  // Lane r's softmax state for row 4g + r. Scores are finite, so the first key replaces this m.
  var m_{g} = -3.0e38;
  var l_{g} = 0.0;
#endfor
  var k_base = b * p.lk * p.k_stride + p.k_offset + h * DV + lane;
  var v_base = b * p.lk * p.v_stride + p.v_offset + h * DV + lane;
  for (var j = 0u; j < p.lk; j++) {
#for t < DV4
    let k_{t} = load_k(k_base + {t}u * 4u);
#endfor
#if mask
    let bias = mask[b * p.lk + j];
#else
    let bias = 0.0;
#endif
#for g < RG
#for r < SG
    var s_{g}_{r} = 0.0;
#for t < DV4
    s_{g}_{r} += dot(q_{g}_{r}_{t}, k_{t});
#endfor
    s_{g}_{r} = subgroupAdd(s_{g}_{r}) + bias;
#endfor
    let s_own_{g} = select(select(select(s_{g}_0, s_{g}_1, lane == 1u), s_{g}_2, lane == 2u), s_{g}_3, lane == 3u);
    let m_new_{g} = max(m_{g}, s_own_{g});
    let correction_{g} = exp(m_{g} - m_new_{g});
    let w_own_{g} = exp(s_own_{g} - m_new_{g});
    l_{g} = l_{g} * correction_{g} + w_own_{g};
    m_{g} = m_new_{g};
#for r < SG
    let c_{g}_{r} = subgroupBroadcast(correction_{g}, {r}u);
    let w_{g}_{r} = subgroupBroadcast(w_own_{g}, {r}u);
#endfor
#endfor
#for t < DV4
    let v_{t} = load_v(v_base + {t}u * 4u);
#for g < RG
#for r < SG
    acc_{g}_{r}_{t} = acc_{g}_{r}_{t} * c_{g}_{r} + w_{g}_{r} * v_{t};
#endfor
#endfor
#endfor
    k_base += p.k_stride;
    v_base += p.v_stride;
  }
#for g < RG
#for r < SG
  let inv_{g}_{r} = 1.0 / subgroupBroadcast(l_{g}, {r}u);
  if (i0 + {g}u * 4u + {r}u < p.lq) {
    let out_base_{g}_{r} = (b * p.lq + i0 + {g}u * 4u + {r}u) * p.out_stride + h * DV + lane;
#for t < DV4
    store_out(out_base_{g}_{r} + {t}u * 4u, acc_{g}_{r}_{t} * inv_{g}_{r});
#endfor
  }
#endfor
#endfor
}
