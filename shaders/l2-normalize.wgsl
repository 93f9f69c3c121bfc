// l2Normalize: out[r, :] = x[r, :] / max(||x[r, :]||_2, eps) (the ITC embeddings; eps 1e-12 as F.normalize).
// Bindings: 0 x: array<f32> [R, D]; 1 out: array<f32> [R, D] (written); 2 uniform { rows R, dim D, eps }.
// Workgroup: 64 invocations per row; each sums the squares of a strided slice of the row, the 64 partial
// sums are reduced in workgroup memory (tree, 6 barriers), then each invocation scales its slice.
// The grid of R workgroups is folded into x*y.
// One invocation: every 64th element of one row.

const WG: u32 = 64u;

@group(0) @binding(#) var<storage, read> x: array<f32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  // Uniform per workgroup, so returning here keeps the barriers below in uniform control flow.
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
  var s = 0.0;
  for (var c = lid; c < p.dim; c += WG) {
    let v = x[base + c];
    s += v * v;
  }
  let inv = 1.0 / max(sqrt(workgroup_sum(s, lid)), p.eps);
  for (var c = lid; c < p.dim; c += WG) {
    out[base + c] = x[base + c] * inv;
  }
}
