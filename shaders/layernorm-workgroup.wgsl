// layerNorm: out[r, :] = act((v - mean) / sqrt(var + eps) * weight + bias), v = x[r, :] (+ residual[r, :]),
// with the biased variance over the D columns of row r (PyTorch's LayerNorm). act = GELU (erf) with parameter
// gelu (the task heads' Linear -> LN -> GELU), identity otherwise; parameter residual adds `residual` first
// (the bridge layer LN(x + y) and BERT's post-LN blocks).
// Numerics (eps is 1e-12 in the cross-modal layers, so var must be accurate far below 1e-5): mean and
// variance take two passes over the row, both on values shifted by the row's first element (pivot), so
// v - pivot is exact for a row whose spread is small next to its mean, and the variance sums squares of
// ((v - pivot) - shift) with shift = mean - pivot kept apart from the pivot instead of rounded into it.
// Parameter residualNorm (with residual) normalises the residual row by its own LayerNorm first (residual_weight,
// residual_bias, uniform residual_eps; same two-pass numerics): the bridge layer LN(t + LN(o)) on a cross layer's
// output o whose LayerNorm was left to it.
// v comes from input() of lib/layernorm-input.wgsl (with the residual row's r_pivot, r_shift, r_inv set first).
// Bindings (in order; parameters drop absent ones): x: array<f32> [R, D]; residual: array<f32> [R, D] (residual);
//   residual_weight, residual_bias: array<f32> [D] (residualNorm);
//   weight: array<f32> [D]; bias: array<f32> [D]; out: array<f32> [R, D] (written); uniform { rows, dim, eps }.
// Workgroup: 64 invocations per row, each over a strided slice (columns lid, lid+64, ...); the two sums are
// tree-reduced in workgroup memory. The grid of R workgroups is folded into x*y.
// One invocation: every 64th element of one output row.

const WG: u32 = 64u;

@group(0) @binding(#) var<storage, read> x: array<f32>;
#if residual
@group(0) @binding(#) var<storage, read> residual: array<f32>;
#endif
#if residualNorm
@group(0) @binding(#) var<storage, read> residual_weight: array<f32>;
@group(0) @binding(#) var<storage, read> residual_bias: array<f32>;
#endif
@group(0) @binding(#) var<storage, read> weight: array<f32>;
@group(0) @binding(#) var<storage, read> bias: array<f32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  // Uniform per workgroup: the barriers below stay in uniform control flow.
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
#if residualNorm
  r_pivot = residual[base];
  var rs = 0.0;
  for (var c = lid; c < p.dim; c += WG) { rs += residual[base + c] - r_pivot; }
  r_shift = workgroup_sum(rs, lid) / f32(p.dim);
  var rq = 0.0;
  for (var c = lid; c < p.dim; c += WG) {
    let d = (residual[base + c] - r_pivot) - r_shift;
    rq += d * d;
  }
  r_inv = 1.0 / sqrt(workgroup_sum(rq, lid) / f32(p.dim) + p.residual_eps);
#endif
  let pivot = input(base);
  var s = 0.0;
  for (var c = lid; c < p.dim; c += WG) {
    s += input(base + c) - pivot;
  }
  let shift = workgroup_sum(s, lid) / f32(p.dim);
  var q = 0.0;
  for (var c = lid; c < p.dim; c += WG) {
    let d = (input(base + c) - pivot) - shift;
    q += d * d;
  }
  let inv = 1.0 / sqrt(workgroup_sum(q, lid) / f32(p.dim) + p.eps);
  for (var c = lid; c < p.dim; c += WG) {
    let y = ((input(base + c) - pivot) - shift) * inv * weight[c] + bias[c];
#if gelu
    out[base + c] = gelu_erf(y);
#else
    out[base + c] = y;
#endif
  }
}
