// The package's advanced entry (`bridgetower-webgpu/advanced`): the graph and the GPU runtime under the task
// API, for running forward passes by hand (BridgeTower's `model` and `gpu` are these), and the pieces the tasks
// are made of: image decoding and the score maths. Everything of the main entry comes with it.
export * from './index';
export { Gpu } from '../gpu/runtime';
export { BridgeTowerModel } from '../model/bridgetower';
export type { ForwardInputs, ForwardOptions, HostArray, OutputTensor } from '../model/bridgetower';
export type { BridgeTowerConfig, Definition, ImagePreprocess } from '../common/config';
export { toRgb } from '../preprocess/image-input';
export { cosines, sigmoid, softmaxScores, topIndices } from './scores';
