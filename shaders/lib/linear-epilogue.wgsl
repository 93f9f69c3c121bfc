// The linear kernels' epilogue (linear-blocked.wgsl, linear-tiled.wgsl): y = act(sum + bias[n]) + residual,
// written at row m, column out_offset + n of an output whose rows are out_stride wide. Uses the kernel's
// bindings `bias` (parameter bias), `residual` (parameter residual), `y` and its uniforms `p` (M, N, out_stride,
// out_offset), and the activations of lib/activations.wgsl; parameter activation picks one. With q8 weights the
// sum is of codes times x, and the row's scale w_scale[n] multiplies it first.

fn activate(v: f32) -> f32 {
#if activation == none
  return v;
#elif activation == gelu
  return gelu_erf(v);
#elif activation == quickgelu
  return quick_gelu(v);
#elif activation == tanh
  return tanh_f32(v);
#elif activation == gelu_tanh
  return gelu_tanh(v);
#elif activation == relu
  return relu(v);
#elif activation == silu
  return silu(v);
#endif
}

fn store(m: u32, n: u32, sum: f32) {
  if (m >= p.M || n >= p.N) { return; }
  var v = sum;
#if weight == q8
  v *= w_scale[n];
#endif
#if bias
  v += bias[n];
#endif
  v = activate(v);
  let i = m * p.out_stride + p.out_offset + n;
#if residual
  v += residual[i];
#endif
  y[i] = v;
}
