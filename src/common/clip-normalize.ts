// OpenAI CLIP's image normalisation: the preprocessing modes apply it, and an HF preprocessor_config.json
// without image_mean / image_std means it.

/** Per-channel (R, G, B) mean and standard deviation of CLIP's training images, on the 0..1 scale. */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
