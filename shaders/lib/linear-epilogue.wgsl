// The linear kernels' epilogue (linear-blocked.wgsl, linear-tiled.wgsl): y = act(sum + bias[n]) + residual,
// written at row m, column out_offset + n of an output whose rows are out_stride wide, as f32 or (parameter
// output f16) as halves packed two per u32 word; store4 writes four consecutive columns of a row. Uses the kernel's
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

// The finished value of column n (flat index i in y) from its sum.
fn finish(n: u32, i: u32, sum: f32) -> f32 {
  var v = sum;
#if weight == q8
  v *= w_scale[n];
#endif
#if bias
  v += bias[n];
#endif
  v = activate(v);
#if residual
  v += residual[i];
#endif
  return v;
}

#if output == f32
fn store(m: u32, n: u32, sum: f32) {
  if (m >= p.M || n >= p.N) { return; }
  let i = m * p.out_stride + p.out_offset + n;
  y[i] = finish(n, i, sum);
}

// Columns n .. n + 3 of row m. A loop, not four inlined stores: unrolled kernels (linear-rows) call this R times,
// and SwiftShader's compiler does not finish on 4·R inlined copies of the epilogue.
fn store4(m: u32, n: u32, s: vec4f) {
  for (var j = 0u; j < 4u; j++) { store(m, n + j, s[j]); }
}
#else
// f16 y, two halves per u32 word: element i is the low (even i) or high half of word i / 2. A word whose two
// elements this invocation writes is stored whole; an element whose partner in the word belongs to another
// invocation (an odd start, the last column, a row end when out_stride is odd, the edge of [off, off + N)) is
// written as its half alone, with an atomic AND clearing it and an atomic OR setting it: both touch only its own
// 16 bits, so the two writers of a word may interleave in any order.
fn store_half(i: u32, v: f32) {
  let shift = (i & 1u) * 16u;
  atomicAnd(&y[i >> 1u], ~(0xffffu << shift));
  atomicOr(&y[i >> 1u], (pack2x16float(vec2f(v, 0.0)) & 0xffffu) << shift);
}

// Columns n .. n + 3 of row m (the c of them below N): straight-line code, no private array (a per-lane gather
// on CPU adapters). A column past N is finished as the last one (in range, never stored).
fn store4(m: u32, n: u32, s: vec4f) {
  if (m >= p.M || n >= p.N) { return; }
  let i = m * p.out_stride + p.out_offset + n;
  let c = min(p.N - n, 4u);
  let j = min(vec3u(1u, 2u, 3u), vec3u(c - 1u));
  let v = vec4f(finish(n, i, s.x), finish(n + j.x, i + j.x, s.y), finish(n + j.y, i + j.y, s.z), finish(n + j.z, i + j.z, s.w));
  if ((i & 1u) == 0u) {
    if (c >= 2u) { atomicStore(&y[i >> 1u], pack2x16float(v.xy)); } else { store_half(i, v.x); }
    if (c == 4u) { atomicStore(&y[(i >> 1u) + 1u], pack2x16float(v.zw)); } else if (c == 3u) { store_half(i + 2u, v.z); }
  } else {
    store_half(i, v.x);
    if (c >= 3u) { atomicStore(&y[(i + 1u) >> 1u], pack2x16float(v.yz)); } else if (c == 2u) { store_half(i + 1u, v.y); }
    if (c == 4u) { store_half(i + 3u, v.w); }
  }
}
#endif
