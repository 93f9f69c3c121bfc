// Progress of loading a model, reported by the weight sources (hub conversion) and the GPU upload alike.
export interface LoadProgress {
  /**
   * fetch/read: bytes of weight files; convert: bytes of a checkpoint converted in the page; upload: tensors sent
   * to the GPU; compile: the model's GPU pipelines built (counted in `tensors` / `totalTensors`, no bytes).
   */
  phase: 'read' | 'convert' | 'upload' | 'compile';
  loadedBytes: number;
  totalBytes: number;
  tensors: number;
  totalTensors: number;
}
