// Activation functions shared by the kernels (prepended to a kernel's source by its declaration's libs, see
// src/kernels/program.ts). Pure functions of f32, no bindings.
//   erf_f32(x)     erf, max |error| ~1e-7 against float64 on a dense grid (test/kernels/linear.cases.ts)
//   gelu_erf(x)    0.5·x·(1 + erf(x/√2)), PyTorch's exact GELU (RoBERTa, BridgeTower cross-modal layers)
//   quick_gelu(x)  x·sigmoid(1.702x), CLIP's QuickGELU
//   tanh_f32(x)    tanh, safe for any finite x (the pooler's activation)
//   gelu_tanh(x)   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715x³))), HF's gelu_new / gelu_fast / gelu_pytorch_tanh
//   relu(x), silu(x) = x·sigmoid(x)   (HF hidden_act relu, silu / swish)
// Constants: tools/erf-coefficients.ts prints and checks them.

fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 1.0) {
    // Maclaurin series of erf, terms x^1 .. x^21 (truncation error < 1.3e-9 on |x| < 1).
    let z = x * x;
    var p = 1.480719282e-8;
    p = p * z - 1.636584469e-7;
    p = p * z + 1.646211437e-6;
    p = p * z - 1.492565036e-5;
    p = p * z + 1.205533298e-4;
    p = p * z - 8.548327023e-4;
    p = p * z + 5.223977625e-3;
    p = p * z - 2.686617065e-2;
    p = p * z + 1.128379167e-1;
    p = p * z - 3.761263890e-1;
    p = p * z + 1.128379167;
    return x * p;
  }
  if (a >= 3.92) {
    // erfc(3.92) < 3e-8: erf is ±1 to float32 precision.
    return sign(x);
  }
  // erf = 1 - e^(-a²)·erfcx(a); erfcx as a degree-11 polynomial in u = (2a - 4.92)/2.92 (error < 2.5e-9).
  let u = (2.0 * a - 4.92) / 2.92;
  var q = -3.030908950e-5;
  q = q * u + 8.081379498e-5;
  q = q * u - 1.265962715e-4;
  q = q * u + 3.291891762e-4;
  q = q * u - 9.171248786e-4;
  q = q * u + 2.228572931e-3;
  q = q * u - 5.213341114e-3;
  q = q * u + 1.189548243e-2;
  q = q * u - 2.616813540e-2;
  q = q * u + 5.525644929e-2;
  q = q * u - 1.115168832e-1;
  q = q * u + 2.138206720e-1;
  return sign(x) * (1.0 - exp(-a * a) * q);
}

fn gelu_erf(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752));
}

fn quick_gelu(x: f32) -> f32 {
  // exp is clamped so it cannot overflow: for x < -50 the result is -0 either way.
  return x / (1.0 + exp(min(-1.702 * x, 80.0)));
}

fn tanh_f32(x: f32) -> f32 {
  // tanh(±10) is ±1 in float32; clamping keeps exp-based implementations of tanh away from inf/inf.
  return tanh(clamp(x, -10.0, 10.0));
}

fn gelu_tanh(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh_f32(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

fn relu(x: f32) -> f32 {
  return max(x, 0.0);
}

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(min(-x, 80.0)));
}
