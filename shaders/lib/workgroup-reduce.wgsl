// Tree reductions across one workgroup, for kernels that give a row to a workgroup (layernorm.wgsl,
// softmax.wgsl, l2-normalize.wgsl). The kernel declares `const WG: u32` (a power of two) and
// `var<workgroup> partial: array<f32, WG>`, and calls these from uniform control flow: every invocation gets
// the combined value of all WG invocations' `v`.

fn workgroup_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
  }
  workgroupBarrier();
  let total = partial[0];
  // Every invocation has read the total before `partial` is written again.
  workgroupBarrier();
  return total;
}

fn workgroup_max(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) {
      partial[lid] = max(partial[lid], partial[lid + stride]);
    }
  }
  workgroupBarrier();
  let total = partial[0];
  workgroupBarrier();
  return total;
}
