"""Configurations transformers v4.40.2 itself cannot build or run, each as the config.json HF writes for it.

For each case the script builds the model with HF's own class and runs it on small inputs, records the error HF
raises (or fails if HF succeeds: then the case is not a refusal), and writes <out>/hf-refused/<case>/config.json.
Only configs: the loader is expected to refuse them by name before touching weights.

usage: python3 make_hf_refused.py <out-dir>     (see README.md for PYTHONPATH)
"""
import os
import shutil
import sys

import torch

import transformers
from transformers import (BridgeTowerConfig, BridgeTowerForContrastiveLearning, BridgeTowerForImageAndTextRetrieval)

from common import random_inputs, write_json

TEXT = dict(vocab_size=64, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=42)
VISION = dict(hidden_size=64, num_hidden_layers=3, patch_size=8, image_size=32)

CASES = {
    "share-cross-modal-false": (BridgeTowerForImageAndTextRetrieval,
                                dict(share_cross_modal_transformer_layers=False)),
    "share-link-tower-true": (BridgeTowerForImageAndTextRetrieval, dict(share_link_tower_layers=True)),
    "init-ln-from-vision-separate": (BridgeTowerForImageAndTextRetrieval,
                                     dict(init_layernorm_from_vision_encoder=True,
                                          vision_config=dict(VISION, share_layernorm=False))),
    "contrastive-clip-width-differs": (BridgeTowerForContrastiveLearning, dict(logit_scale_init_value=2.6592)),
}


def attempt(cls, config):
    try:
        model = cls(config).eval()
    except Exception as e:  # what HF raises is the point of the record
        return "construction", f"{type(e).__name__}: {e}"
    inputs = random_inputs(0, 2, 7, 64, 32, [0, 2])
    try:
        with torch.no_grad():
            model(**inputs)
    except Exception as e:
        return "forward", f"{type(e).__name__}: {e}"
    return None, None


def main(argv):
    root = os.path.join(argv[1], "hf-refused")
    shutil.rmtree(root, ignore_errors=True)
    record = {}
    for case, (cls, top) in CASES.items():
        kw = dict(hidden_size=32, num_attention_heads=4, num_hidden_layers=2, contrastive_hidden_size=16,
                  text_config=TEXT, vision_config=VISION)
        kw.update(top)
        config = BridgeTowerConfig(**kw)
        config.architectures = [cls.__name__]
        stage, error = attempt(cls, config)
        if stage is None:
            raise RuntimeError(f"{case}: HF runs it, so it is not a refusal")
        os.makedirs(os.path.join(root, case))
        config.save_pretrained(os.path.join(root, case))
        record[case] = {"hf_class": cls.__name__, "fails_at": stage, "hf_error": error.splitlines()[0][:300]}
        print(case, stage, record[case]["hf_error"])
    write_json(os.path.join(root, "manifest.json"), {
        "made_by": f"hf-v{transformers.__version__}: config.save_pretrained of configurations its own classes cannot "
                   "build or run (tools/reference/make_hf_refused.py)",
        "expect": "load each <case>/config.json (no weights) and refuse it by name with a ConfigError",
        "cases": record,
    })


if __name__ == "__main__":
    main(sys.argv)
