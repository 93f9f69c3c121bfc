// How the fused attention kernels read q, k and v, declared by the kernel that pulls this in: VT words (input f32),
// or halves packed in u32 words (input f16: a vec2u per vec4 with vec4, else two per u32), widened to f32 as they
// load (widen4, lib/f16-words.wgsl). load_q / load_k / load_v(i): word i of q, k and v as VT.
#if input == f32
fn load_q(i: u32) -> VT { return q[i]; }
fn load_k(i: u32) -> VT { return k[i]; }
fn load_v(i: u32) -> VT { return v[i]; }
#elif vec4
fn load_q(i: u32) -> VT { return widen4(q[i]); }
fn load_k(i: u32) -> VT { return widen4(k[i]); }
fn load_v(i: u32) -> VT { return widen4(v[i]); }
#else
fn load_q(i: u32) -> VT { return unpack2x16float(q[i >> 1u])[i & 1u]; }
fn load_k(i: u32) -> VT { return unpack2x16float(k[i >> 1u])[i & 1u]; }
fn load_v(i: u32) -> VT { return unpack2x16float(v[i >> 1u])[i & 1u]; }
#endif
