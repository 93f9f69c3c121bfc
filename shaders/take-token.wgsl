// takeToken: out[b, c] = x[b, index, c] (the token-0 slice that feeds the poolers and ITC heads).
// Bindings: 0 x: array<f32> [B, L, D]; 1 out: array<f32> [B, D] (written);
//           2 uniform { batch B, length L, dim D, index }.
// Workgroup: 256 invocations; the grid of ceil(B*D/256) workgroups is folded into x*y.
// One invocation: one output element.

struct Params { batch: u32, length: u32, dim: u32, index: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

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
