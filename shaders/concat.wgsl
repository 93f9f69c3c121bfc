// concat: out[b, :] = [a[b, :], c[b, :]] along the last dimension (cls_feats = [text pooled, image pooled]).
// Bindings: 0 a: array<f32> [B, D1]; 1 c: array<f32> [B, D2]; 2 out: array<f32> [B, D1+D2] (written);
//           3 uniform { batch B, d1 D1, d2 D2 }.
// Workgroup: 256 invocations; the grid of ceil(B*(D1+D2)/256) workgroups is folded into x*y.
// One invocation: one output element.

@group(0) @binding(#) var<storage, read> a: array<f32>;
@group(0) @binding(#) var<storage, read> c: array<f32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let width = p.d1 + p.d2;
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= p.batch * width) {
    return;
  }
  let b = i / width;
  let col = i - b * width;
  if (col < p.d1) {
    out[i] = a[b * p.d1 + col];
  } else {
    out[i] = c[b * p.d2 + col - p.d1];
  }
}
