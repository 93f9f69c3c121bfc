// f16 tensors' storage (src/gpu/tensor.ts): halves packed two per u32 word, element 2i in the low half of word i.
// Four consecutive halves (one vec2u) as a vec4f and back; core WGSL, so no `shader-f16` is needed.
fn widen4(h: vec2u) -> vec4f { return vec4f(unpack2x16float(h.x), unpack2x16float(h.y)); }
fn narrow4(v: vec4f) -> vec2u { return vec2u(pack2x16float(v.xy), pack2x16float(v.zw)); }
