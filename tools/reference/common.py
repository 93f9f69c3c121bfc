"""Shared helpers for the golden-data generators in this folder.

Everything here is ours; the codebases under test (transformers v4.40.2, microsoft/BridgeTower) are only
imported, never copied. See README.md for how to run them offline.
"""
import json
import math
import os

import torch
from torch import nn
from safetensors.torch import save_file

# The project's tolerance (fixtures/README.md, "Checking").
TOLERANCE = {"rule": "abs(a-b) <= atol + rtol*abs(b) per element, b = expected", "atol": 1e-4, "rtol": 1e-3}


def randomize(model, seed, scalars=None):
    """Give every parameter of `model` a random value sized like a trained model's, so each one moves the outputs.

    Linear / conv / attention projections: N(0, 1/fan_in); biases N(0, 0.1²); LayerNorm weight 1 + N(0, 0.2²),
    bias N(0, 0.1²); embeddings N(0, 0.5²). `scalars` maps a parameter name to a callable(generator) giving its
    value (link-tower scale / beta, logit scale). Raises if a parameter was left out.
    """
    g = torch.Generator().manual_seed(seed)

    def normal(p, std, mean=0.0):
        with torch.no_grad():
            p.copy_(torch.randn(p.shape, generator=g) * std + mean)

    done = set()
    for mname, m in model.named_modules():
        if isinstance(m, nn.LayerNorm):
            normal(m.weight, 0.2, 1.0)
            normal(m.bias, 0.1)
        elif isinstance(m, nn.Linear):
            normal(m.weight, 1.0 / math.sqrt(m.in_features))
            if m.bias is not None:
                normal(m.bias, 0.1)
        elif isinstance(m, nn.Conv2d):
            normal(m.weight, 1.0 / math.sqrt(m.weight[0].numel()))
            if m.bias is not None:
                normal(m.bias, 0.1)
        elif isinstance(m, nn.Embedding):
            normal(m.weight, 0.5)
        elif isinstance(m, nn.MultiheadAttention):
            normal(m.in_proj_weight, 1.0 / math.sqrt(m.embed_dim))
            normal(m.in_proj_bias, 0.1)
        else:
            for k, p in m.named_parameters(recurse=False):
                full = f"{mname}.{k}" if mname else k
                if scalars and full in scalars:
                    with torch.no_grad():
                        p.fill_(float(scalars[full](g)))
                elif p.dim() == 0:
                    raise ValueError(f"scalar parameter {full} needs an explicit value")
                else:
                    normal(p, 0.5 if "embedding" in k else 0.1)
        for p in m.parameters(recurse=False):
            done.add(id(p))
    missing = [n for n, p in model.named_parameters() if id(p) not in done]
    if missing:
        raise ValueError(f"parameters left at their initial value: {missing}")


def uniform(lo, hi):
    return lambda g: lo + (hi - lo) * torch.rand((), generator=g).item()


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def save_tensors(path, tensors):
    save_file({k: v.contiguous() for k, v in tensors.items()}, path)


def shapes(tensors):
    return {k: list(v.shape) for k, v in tensors.items()}


def input_specs(tensors):
    return {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)} for k, v in tensors.items()}


def max_abs(a, b):
    out = {}
    for k, v in a.items():
        if k in b:
            out[k] = float((v.double() - b[k].double()).abs().max()) if v.shape == b[k].shape else "shape differs"
    return out


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def folder_size(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def random_inputs(seed, batch, length, vocab, image_size, pads, mask_id=None):
    """RoBERTa-style ids (<s>=0 ... </s>=2, then <pad>=1) with random pixel values.

    `pads[b]` is the number of pads at the end of row b; `mask_id`, if given, replaces one token per row.
    """
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, vocab - 1, (batch, length), generator=g)
    mask = torch.ones(batch, length, dtype=torch.long)
    for b in range(batch):
        real = length - pads[b]
        ids[b, 0] = 0
        ids[b, real - 1] = 2
        ids[b, real:] = 1
        mask[b, real:] = 0
        if mask_id is not None and real > 3:
            ids[b, 1 + b % (real - 2)] = mask_id
    pixels = torch.randn(batch, 3, image_size, image_size, generator=g)
    return {"input_ids": ids, "attention_mask": mask, "pixel_values": pixels}


def run_specs(specs, make, argv):
    """`script.py OUT_DIR [NAME ...]`: make every spec, or only the named ones, under OUT_DIR."""
    out_dir = argv[1]
    names = set(argv[2:])
    for s in specs:
        if not names or s["name"] in names:
            make(s, out_dir)
