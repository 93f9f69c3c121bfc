// classPositionEmbed: CLIP's token assembly before ln_pre,
//   out[b, 0, c] = class[c] + pos[0, c];  out[b, t, c] = patches[b, t-1, c] + pos[t, c] for t >= 1.
// Parameters classF16 / positionalF16 (src/kernels/class-position-embed.ts): an f16 table is bound as u32
// words holding two halves (read with unpack2x16float, no shader-f16 needed), an f32 one as u32 bit patterns.
// Bindings: 0 patches: array<f32> [B, N-1, Hv]; 1 class: array<u32> [Hv]; 2 pos: array<u32> [N, Hv];
//           3 out: array<f32> [B, N, Hv] (written); 4 uniform { batch B, tokens N, width Hv }.
// Workgroup: 256 invocations; the grid of ceil(B*N*Hv/256) workgroups is folded into x*y.
// One invocation: one output element.

@group(0) @binding(#) var<storage, read> patches: array<f32>;
@group(0) @binding(#) var<storage, read> class_embedding: array<u32>;
@group(0) @binding(#) var<storage, read> positional: array<u32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

fn class_at(i: u32) -> f32 {
#if classF16
  return unpack2x16float(class_embedding[i >> 1u])[i & 1u];
#else
  return bitcast<f32>(class_embedding[i]);
#endif
}

fn pos_at(i: u32) -> f32 {
#if positionalF16
  return unpack2x16float(positional[i >> 1u])[i & 1u];
#else
  return bitcast<f32>(positional[i]);
#endif
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= p.batch * p.tokens * p.width) {
    return;
  }
  let c = i % p.width;
  let bt = i / p.width;
  let t = bt % p.tokens;
  let b = bt / p.tokens;
  var token: f32;
  if (t == 0u) {
    token = class_at(c);
  } else {
    token = patches[(b * (p.tokens - 1u) + t - 1u) * p.width + c];
  }
  out[i] = token + pos_at(t * p.width + c);
}
