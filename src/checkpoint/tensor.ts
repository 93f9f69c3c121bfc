// Host tensors moved to the ground floor (src/spec/tensor.ts, #13 part 1). This path stays for
// test/kernels until it imports src/spec itself (#13 parts 2 and 4).
export * from '../spec/tensor';
