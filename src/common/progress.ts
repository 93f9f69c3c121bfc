// Progress of loading a model, reported by the weight sources (hub conversion) and the GPU upload alike; progress
// and cancel of the long tasks, which the task API and the search index over it take alike.
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

/**
 * Progress of a task that runs several forward passes: `done` of `total` items (pictures, captions) of `stage`,
 * and the pass under way as its stages finish.
 */
export interface TaskProgress {
  stage: string;
  done: number;
  total: number;
  /**
   * The forward pass under way, ticked as each of its stages (a tower, a few image layers, the cross-modal layers)
   * finishes: `done` of its `total` stages; it finishes `items` of the task's items (0 for a pass that prepares,
   * such as the picture's features before its captions are matched). Absent on the ticks between passes.
   */
  pass?: { done: number; total: number; items: number };
}

/** Cancel and progress for the longer tasks. */
export interface TaskOptions {
  /**
   * Aborting it stops the task with an AbortedError at the next stage of the forward pass under way (after a
   * tower, a few layers of the image tower, the cross-modal layers), or between passes.
   * @default none
   */
  signal?: AbortSignal;
  /**
   * Called after each batch of forward passes, and as each stage of a pass finishes (`pass`).
   * @default none
   */
  onProgress?: (p: TaskProgress) => void;
}
