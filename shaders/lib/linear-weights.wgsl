// How the linear kernels read their weight w [N, K] (PyTorch Linear layout) and its q4 scales w_scale, both declared
// by the kernel that pulls this in: w is array<f32> for f32 and array<u32> for f16 (two halves a word), q8 (four
// int8 codes a word, byte j = element j) and q4 (eight int4 codes a word); w_scale holds q4's scale per 32
// elements of a row (q8's per-row scale is applied to the finished sum, linear-epilogue.wgsl).
// load_w_element(i, s): the weight at element index i; s, the index of its q4 scale, is unused by the other types.
// For kernels that read w one element at a time (not four k at a time: w is then array<vec4f> / array<vec2u>).
#if weight == f32
fn load_w_element(i: u32, s: u32) -> f32 { return w[i]; }
#elif weight == f16
fn load_w_element(i: u32, s: u32) -> f32 { return unpack2x16float(w[i >> 1u])[i & 1u]; }
#elif weight == q8
fn load_w_element(i: u32, s: u32) -> f32 { return f32(bitcast<i32>(w[i >> 2u] << (24u - 8u * (i & 3u))) >> 24u); }
#elif weight == q4
fn load_w_element(i: u32, s: u32) -> f32 {
  return f32(bitcast<i32>(w[i >> 3u] << (28u - 4u * (i & 7u))) >> 28u) * w_scale[s];
}
#endif
