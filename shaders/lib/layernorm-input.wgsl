// The LayerNorm kernels' input (layernorm-rows.wgsl, layernorm-workgroup.wgsl): element i of the row to normalise,
// v = x[i] (+ residual[i]), the residual through its own LayerNorm first with parameter residualNorm. Uses the
// kernel's bindings x, residual (parameter residual), residual_weight and residual_bias (residualNorm) and its
// uniform dim; the kernel's main sets the residual row's pivot, shift and 1/σ below before any input() call.

#if residualNorm
var<private> r_pivot: f32;
var<private> r_shift: f32;
var<private> r_inv: f32;
#endif

fn input(i: u32) -> f32 {
#if residualNorm
  let c = i % p.dim;
  return x[i] + (((residual[i] - r_pivot) - r_shift) * r_inv * residual_weight[c] + residual_bias[c]);
#elif residual
  return x[i] + residual[i];
#else
  return x[i];
#endif
}
