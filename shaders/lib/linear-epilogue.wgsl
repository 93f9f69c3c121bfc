// The linear kernels' epilogue (linear-blocked.wgsl, linear-tiled.wgsl): y = act(sum + bias[n]) + residual,
// written at row m, column out_offset + n of an output whose rows are out_stride wide. Uses the kernel's
// bindings `bias` (#if BIAS), `residual` (#if RESIDUAL), `y` and its uniforms `p` (M, N, out_stride, out_offset),
// and the activations of lib/activations.wgsl; the ACT_* flags pick the activation. With W_ROW_SCALE (q8
// weights) the sum is of codes times x, and the row's scale w_scale[n] multiplies it first.

fn activate(v: f32) -> f32 {
#if ACT_NONE
  return v;
#endif
#if ACT_GELU
  return gelu_erf(v);
#endif
#if ACT_QUICKGELU
  return quick_gelu(v);
#endif
#if ACT_TANH
  return tanh_f32(v);
#endif
#if ACT_GELU_TANH
  return gelu_tanh(v);
#endif
#if ACT_RELU
  return relu(v);
#endif
#if ACT_SILU
  return silu(v);
#endif
}

fn store(m: u32, n: u32, sum: f32) {
  if (m >= p.M || n >= p.N) { return; }
  var v = sum;
#if W_ROW_SCALE
  v *= w_scale[n];
#endif
#if BIAS
  v += bias[n];
#endif
  v = activate(v);
  let i = m * p.out_stride + p.out_offset + n;
#if RESIDUAL
  v += residual[i];
#endif
  y[i] = v;
}
