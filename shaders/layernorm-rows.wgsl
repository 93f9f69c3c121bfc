// layerNorm, one invocation per row (the variant for CPU adapters, where workgroup barriers are expensive):
//   out[r, :] = act((v - mean) / sqrt(var + eps) * weight + bias), v = x[r, :] (+ residual[r, :]),
// biased variance over the D columns of row r; act = GELU (erf) with parameter gelu, identity otherwise;
// parameter residual adds `residual` first. Same numerics as layernorm-workgroup.wgsl: two passes on values
// shifted by the row's
// first element (pivot), the mean kept as pivot + shift, so a tiny variance survives next to a large mean.
// Parameter residualNorm (with residual) normalises the residual row by its own LayerNorm first (residual_weight,
// residual_bias, uniform residual_eps; same two-pass numerics): the bridge layer LN(t + LN(o)) on a cross layer's
// output o whose LayerNorm was left to it.
// v comes from input() of lib/layernorm-input.wgsl (with the residual row's r_pivot, r_shift, r_inv set first).
// Bindings (in order; parameters drop absent ones): x: array<f32> [R, D]; residual: array<f32> [R, D] (residual);
//   residual_weight, residual_bias: array<f32> [D] (residualNorm);
//   weight: array<f32> [D]; bias: array<f32> [D]; out: array<f32> [R, D] (written); uniform { rows, dim, eps }.
// Workgroup: 64 invocations, one row each; the grid of ceil(R/64) workgroups is folded into x*y.
// One invocation: one output row.

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * WG + lid;
  if (row >= p.rows) {
    return;
  }
  let base = row * p.dim;
#if residualNorm
  r_pivot = residual[base];
  var rs = 0.0;
  for (var c = 0u; c < p.dim; c++) { rs += residual[base + c] - r_pivot; }
  r_shift = rs / f32(p.dim);
  var rq = 0.0;
  for (var c = 0u; c < p.dim; c++) {
    let d = (residual[base + c] - r_pivot) - r_shift;
    rq += d * d;
  }
  r_inv = 1.0 / sqrt(rq / f32(p.dim) + p.residual_eps);
#endif
  let pivot = input(base);
  // Both sums run as 4 interleaved partial sums (a vec4), which halves the rounding error of one long
  // sequential sum and gives the CPU independent additions to overlap.
  let body = p.dim & ~3u;
  var s4 = vec4f(0.0);
  for (var c = 0u; c < body; c += 4u) {
    s4 += vec4f(input(base + c), input(base + c + 1u), input(base + c + 2u), input(base + c + 3u)) - pivot;
  }
  var s = (s4.x + s4.y) + (s4.z + s4.w);
  for (var c = body; c < p.dim; c++) {
    s += input(base + c) - pivot;
  }
  let shift = s / f32(p.dim);
  var q4 = vec4f(0.0);
  for (var c = 0u; c < body; c += 4u) {
    let d = (vec4f(input(base + c), input(base + c + 1u), input(base + c + 2u), input(base + c + 3u)) - pivot) - shift;
    q4 += d * d;
  }
  var q = (q4.x + q4.y) + (q4.z + q4.w);
  for (var c = body; c < p.dim; c++) {
    let d = (input(base + c) - pivot) - shift;
    q += d * d;
  }
  let inv = 1.0 / sqrt(q / f32(p.dim) + p.eps);
  for (var c = 0u; c < p.dim; c++) {
    let y = ((input(base + c) - pivot) - shift) * inv * weight[c] + bias[c];
#if gelu
    out[base + c] = gelu_erf(y);
#else
    out[base + c] = y;
#endif
  }
}
