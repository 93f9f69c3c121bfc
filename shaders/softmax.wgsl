// softmax: out[r, j] = exp(x[r, j] - max_j x[r, :]) / sum_j exp(x[r, j] - max), row-wise over N columns.
// Bindings: 0 x: array<f32> [R, N]; 1 out: array<f32> [R, N] (written); 2 uniform { rows R, cols N }.
// Workgroup: 64 invocations per row, each over the columns lid, lid+64, ...; the row max and the sum of
// exponentials are tree-reduced in workgroup memory. The grid of R workgroups is folded into x*y.
// One invocation: every 64th element of one row.

const WG: u32 = 64u;

@group(0) @binding(#) var<storage, read> x: array<f32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  // Uniform per workgroup: the barriers below stay in uniform control flow.
  if (row >= p.rows) {
    return;
  }
  let base = row * p.cols;
  var m = -3.0e38;
  for (var c = lid; c < p.cols; c += WG) {
    m = max(m, x[base + c]);
  }
  m = workgroup_max(m, lid);
  var s = 0.0;
  for (var c = lid; c < p.cols; c += WG) {
    s += exp(x[base + c] - m);
  }
  let inv = 1.0 / workgroup_sum(s, lid);
  for (var c = lid; c < p.cols; c += WG) {
    out[base + c] = exp(x[base + c] - m) * inv;
  }
}
