// Hugging Face BridgeTower names -> canonical names (the original checkpoint's state_dict keys),
// following fixtures/README.md "HF names". `BridgeTowerFor*` saves put the model under `bridgetower.`; a plain
// `BridgeTowerModel` save has the same keys without that prefix. Heads are at top level in both.
const HF_EMBEDDINGS: Record<string, string> = {
  'vision_model.visual.embeddings.patch_embedding.weight': 'vit_model.visual.conv1.weight',
  'vision_model.visual.embeddings.class_embedding': 'vit_model.visual.class_embedding',
  'vision_model.visual.embeddings.position_embedding.weight': 'vit_model.visual.positional_embedding',
};

const PREFIX = 'bridgetower.';

/** True when the names are HF's: the model under `bridgetower.`, or HF's own tower names at top level. */
export function usesHfNames(names: Iterable<string>): boolean {
  for (const n of names)
    if (n.startsWith(PREFIX) || n.startsWith('text_model.') || n.startsWith('vision_model.')) return true;
  return false;
}

export function hfToCanonical(name: string): string {
  const n = name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
  const fixed = HF_EMBEDDINGS[n];
  if (fixed) return fixed;
  if (n.startsWith('text_model.')) return `text_transformer.${n.slice('text_model.'.length)}`;
  if (n.startsWith('vision_model.visual.')) return `vit_model.visual.${n.slice('vision_model.visual.'.length)}`;
  return n;
}
