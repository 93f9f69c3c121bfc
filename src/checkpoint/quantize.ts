// The q8/q4 dtypes moved to the ground floor (src/spec/quantize.ts, #13 part 1). This path stays for
// src/kernels and test/kernels until they import src/spec themselves (#13 parts 2 and 4).
export * from '../spec/quantize';
