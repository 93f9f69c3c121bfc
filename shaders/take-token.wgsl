// takeToken: out[b, c] = x[b, index, c] (the token-0 slice that feeds the poolers and ITC heads).
// Bindings: 0 x: array<f32> [B, L, D]; 1 out: array<f32> [B, D] (written);
//           2 uniform { batch B, length L, dim D, index }.
// Workgroup: 256 invocations; the grid of ceil(B*D/256) workgroups is folded into x*y.
// One invocation: one output element.

@group(0) @binding(#) var<storage, read> x: array<f32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= p.batch * p.dim) {
    return;
  }
  let b = i / p.dim;
  let c = i - b * p.dim;
  out[i] = x[(b * p.length + p.index) * p.dim + c];
}
