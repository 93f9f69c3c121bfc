// im2col for the ViT patch embedding (a stride-P convolution whose kernel equals its stride):
//   patches[b·G² + gy·G + gx, c·P² + ky·P + kx] = pixels[b, c, gy·P + ky, gx·P + kx],   G = S / P
// so that patches · conv1[Hv, 3·P·P]ᵀ is the convolution (conv1's (c, ky, kx) order, patches row-major).
// Bindings: pixels [B, 3, S, S] f32; patches [B·G², 3·P²] f32; params uniform Params.
// Workgroup: 256 invocations; one invocation writes one element of `patches`. Workgroups are numbered flat
// over (x, y) so counts above 65535 fold into y.

@group(0) @binding(#) var<storage, read> pixels: array<f32>;
@group(0) @binding(#) var<storage, read_write> patches: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.x + wg.y * nwg.x) * 256u + li;
  if (i >= p.total) { return; }
  let cols = 3u * p.P * p.P;
  let row = i / cols;
  let col = i % cols;
  let g2 = p.G * p.G;
  let b = row / g2;
  let gy = (row % g2) / p.G;
  let gx = row % p.G;
  let c = col / (p.P * p.P);
  let ky = (col / p.P) % p.P;
  let kx = col % p.P;
  patches[i] = pixels[((b * 3u + c) * p.S + gy * p.P + ky) * p.S + gx * p.P + kx];
}
