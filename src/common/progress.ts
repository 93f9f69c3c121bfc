// Progress of loading a model, reported by the weight sources (hub conversion) and the GPU upload alike.
export interface LoadProgress {
  /** fetch/read: bytes of weight files; convert: bytes of a checkpoint converted in the page; upload: tensors sent to the GPU. */
  phase: 'read' | 'convert' | 'upload';
  loadedBytes: number;
  totalBytes: number;
  tensors: number;
  totalTensors: number;
}
