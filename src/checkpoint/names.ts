// Hugging Face BridgeTower names -> canonical names (the original checkpoint's state_dict keys),
// following fixtures/README.md "HF names".
const HF_EMBEDDINGS: Record<string, string> = {
  'bridgetower.vision_model.visual.embeddings.patch_embedding.weight': 'vit_model.visual.conv1.weight',
  'bridgetower.vision_model.visual.embeddings.class_embedding': 'vit_model.visual.class_embedding',
  'bridgetower.vision_model.visual.embeddings.position_embedding.weight': 'vit_model.visual.positional_embedding',
};

/** True when the names are HF's (everything of the model itself lives under `bridgetower.`). */
export function usesHfNames(names: Iterable<string>): boolean {
  for (const n of names) if (n.startsWith('bridgetower.')) return true;
  return false;
}

export function hfToCanonical(name: string): string {
  const fixed = HF_EMBEDDINGS[name];
  if (fixed) return fixed;
  if (name.startsWith('bridgetower.text_model.')) return `text_transformer.${name.slice('bridgetower.text_model.'.length)}`;
  if (name.startsWith('bridgetower.vision_model.visual.')) return `vit_model.visual.${name.slice('bridgetower.vision_model.visual.'.length)}`;
  if (name.startsWith('bridgetower.')) return name.slice('bridgetower.'.length);
  return name;
}
