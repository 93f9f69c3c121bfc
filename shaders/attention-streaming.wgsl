// attention (streaming variant, for CPU adapters):
//   out[b, i, h*d : (h+1)*d] = softmax_j(q_i·k_j / sqrt(d) + mask[b, j]) · v_j for every head h,
// where q_i = q[b, i, qOff + h*d : ...], k_j = k[b, j, kOff + h*d : ...], v_j = v[b, j, vOff + h*d : ...]
// (heads are contiguous chunks of d columns; the offsets select q, k, v inside CLIP's fused [B, N, 3W] qkv).
// Fused, flash-attention style: one invocation streams over the keys of its (b, h, query rows) with an online
// softmax (running max m, running sum l, accumulator rescaled by exp(m_old - m_new) when the max grows), so
// no Lq x Lk score matrix exists and no workgroup memory or barrier is needed.
// The wrapper uses it on CPU adapters without 4-lane subgroups, or where d % 16 != 0 (attention-subgroup.wgsl
// is about 2.5x faster on SwiftShader otherwise).
// Cost on SwiftShader (the CPU adapter CI runs on): a storage load with a run-time index is a per-lane
// gather, ~20x the cost of a vec4 multiply-add, so the loads of k and v bound this kernel.
// Register blocking: one invocation handles ROWS query rows, so each k and v vector it loads (a per-lane
// gather on SwiftShader) serves ROWS dot products / accumulations. The head dimension is compiled in and the
// `#for` blocks are unrolled by the wrapper (src/kernels/unroll.ts), so q and the accumulators are named
// values held in registers, not private arrays (dynamically indexed, those become gathers on CPU adapters).
// Parameters: vec4 (d and every column stride/offset divisible by 4: bind q, k, v, out as vec4 arrays),
//             mask (an additive key mask [B, Lk], e.g. (1 - attention_mask) * -10000),
//             input / output (f32, or f16: q, k, v / out hold halves packed two per u32 word, a vec2u per vec4;
//             the arithmetic is f32 either way; scalar f16 out is written in word pairs, so d is even).
//             Needs shaders/lib/f16-words.wgsl in front.
// Bindings (in order): q: [B, Lq, Wq]; k: [B, Lk, Wk]; v: [B, Lk, Wv]; mask: array<f32> [B, Lk] (mask);
//   out: [B, Lq, width] (written); uniform Params (strides and offsets in units of VT).
// Workgroup: 64 invocations along query rows; grid x = ceil(Lq / (64 * ROWS)), y = B * heads.
// One invocation: ROWS consecutive query rows of one head: ROWS x d output values.

#if vec4
alias VT = vec4f;
fn vdot(a: VT, b: VT) -> f32 { return dot(a, b); }
#else
alias VT = f32;
fn vdot(a: VT, b: VT) -> f32 { return a * b; }
#endif

const DV: u32 = {DV}u;
const ROWS: u32 = {ROWS}u;
const WG: u32 = 64u;

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i0 = (wid.x * WG + lid) * ROWS;
  if (i0 >= p.lq) {
    return;
  }
  let b = wid.y / p.heads;
  let h = wid.y - b * p.heads;

  // Row r of this invocation is query i0 + r; rows past Lq recompute the last query and are not stored.
  // Every q_r_c / acc_r_c is a named value (see the header): c indexes the DV vectors of one head row.
#for r < ROWS
  let q_base_{r} = (b * p.lq + min(i0 + {r}u, p.lq - 1u)) * p.q_stride + p.q_offset + h * DV;
#for c < DV
  let q_{r}_{c} = load_q(q_base_{r} + {c}u) * p.scale;
  var acc_{r}_{c} = VT(0.0);
#endfor
  // Scores are finite, so the first key raises m from here and zeroes the (empty) accumulator's weight.
  var m_{r} = -3.0e38;
  var l_{r} = 0.0;
#endfor
  var k_base = b * p.lk * p.k_stride + p.k_offset + h * DV;
  var v_base = b * p.lk * p.v_stride + p.v_offset + h * DV;
  for (var j = 0u; j < p.lk; j++) {
    // Each k and v vector is loaded once for ROWS query rows: loads, not arithmetic, bound this loop on CPUs.
#for c < DV
    let k_{c} = load_k(k_base + {c}u);
#endfor
#if mask
    let bias = mask[b * p.lk + j];
#else
    let bias = 0.0;
#endif
#for r < ROWS
    var s_{r} = bias;
#for c < DV
    s_{r} += vdot(q_{r}_{c}, k_{c});
#endfor
    if (s_{r} > m_{r}) {
      let correction = exp(m_{r} - s_{r});
      l_{r} *= correction;
#for c < DV
      acc_{r}_{c} *= correction;
#endfor
      m_{r} = s_{r};
    }
    let w_{r} = exp(s_{r} - m_{r});
    l_{r} += w_{r};
#endfor
#for c < DV
    let v_{c} = load_v(v_base + {c}u);
#for r < ROWS
    acc_{r}_{c} += w_{r} * v_{c};
#endfor
#endfor
    k_base += p.k_stride;
    v_base += p.v_stride;
  }
#for r < ROWS
  if (i0 + {r}u < p.lq) {
    let out_base_{r} = (b * p.lq + i0 + {r}u) * p.out_stride + h * DV;
    let inv_{r} = 1.0 / l_{r};
#if output == f16 && !vec4
    var o_{r}: array<f32, DV>;
#for c < DV
    o_{r}[{c}u] = acc_{r}_{c} * inv_{r};
#endfor
    for (var c = 0u; c < DV; c += 2u) { out[(out_base_{r} + c) >> 1u] = pack2x16float(vec2f(o_{r}[c], o_{r}[c + 1u])); }
#else
#for c < DV
    store_out(out_base_{r} + {c}u, acc_{r}_{c} * inv_{r});
#endfor
#endif
  }
#endfor
}
