// add: out = alpha·a + beta·b, elementwise over n f32 values (residual additions outside a fused epilogue;
// the scaled_add and interpolate bridge layers, LN(s·x + y) and LN((1−β)·x + β·y), before their LayerNorm).
// Bindings: 0 a: array<f32> [n]; 1 b: array<f32> [n]; 2 out: array<f32> [n] (written);
//           3 uniform { n, alpha, beta }.
// Workgroup: 256 invocations; the grid of ceil(n/256) workgroups is folded into x*y.
// One invocation: one output element.

@group(0) @binding(#) var<storage, read> a: array<f32>;
@group(0) @binding(#) var<storage, read> b: array<f32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i < p.n) {
    out[i] = p.alpha * a[i] + p.beta * b[i];
  }
}
