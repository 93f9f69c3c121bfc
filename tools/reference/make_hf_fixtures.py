"""Golden fixtures made with Hugging Face transformers' own BridgeTower classes (v4.40.2, unmodified).

Each model is built from a BridgeTowerConfig, every parameter is set to a random value, it is written with
`save_pretrained`, read back with `from_pretrained` (no missing or unexpected keys allowed) and the reloaded
model computes the expected outputs, so the files mean exactly what expected.safetensors holds.

usage: python3 make_hf_fixtures.py <out-dir> [folder ...]     (see README.md for PYTHONPATH)
"""
import copy
import json
import os
import shutil
import sys

import torch
from torch import nn

import transformers
from transformers import (BridgeTowerConfig, BridgeTowerForContrastiveLearning, BridgeTowerForImageAndTextRetrieval,
                          BridgeTowerForMaskedLM, BridgeTowerImageProcessor, BridgeTowerModel, RobertaTokenizer)
from transformers.activations import ACT2FN
from transformers import tokenization_utils_base

# Without the `tokenizers` package (not in Debian), v4.40.2 falls back to an AddedToken dataclass with eq=True and
# no __hash__, and the slow RobertaTokenizer then fails on `token in set`. The real AddedToken hashes its content.
if not tokenization_utils_base.is_tokenizers_available():
    tokenization_utils_base.AddedToken.__hash__ = lambda self: hash(self.content)
    tokenization_utils_base.AddedToken.__setstate__ = lambda self, state: self.__dict__.update(state)

from common import (TOLERANCE, f32, folder_size, input_specs, max_abs, random_inputs, randomize, run_specs, save_tensors,
                    shapes, uniform, write_json)

HERE = os.path.dirname(os.path.abspath(__file__))
PNG = os.path.join(HERE, "..", "..", "test", "fixtures", "tiny", "image.png")
HF = f"hf-v{transformers.__version__}"

REQUIRED = {
    "BridgeTowerModel": ["text_feats", "image_feats", "cls_feats"],
    "BridgeTowerForImageAndTextRetrieval": ["text_feats", "image_feats", "cls_feats", "itm_logits"],
    "BridgeTowerForMaskedLM": ["text_feats", "image_feats", "cls_feats", "mlm_logits"],
    "BridgeTowerForContrastiveLearning": ["text_feats", "image_feats", "cls_feats", "itc_text", "itc_image",
                                          "itc_cross", "itc_logits"],
}

DEFINITIONS = {
    "text_feats / image_feats / cls_feats": "BridgeTowerModel outputs text_features, image_features, pooler_output",
    "itm_logits": "BridgeTowerForImageAndTextRetrieval logits = itm_score(pooler_output)",
    "mlm_logits": "BridgeTowerForMaskedLM logits = mlm_score(text_features); transform act = top-level hidden_act, "
                  "LN eps = top-level layer_norm_eps",
    "itc_text": "l2norm(itc_text_head(text_layer[Lt-1][:, 0]))",
    "itc_image": "l2norm(itc_image_head((cross_modal_image_transform(ln_post(image_layer[Lt-1])) + "
                 "token_type_embeddings[1])[:, 0])): the vision resblock at the text tower's last index, always "
                 "ln_post (never ln_separate), never the later vision layers",
    "itc_cross": "l2norm(itc_cross_modal_head(pooler_output))",
    "itc_logits": "stack([itc_text, itc_image, itc_cross], dim=-2) [B, 3, D]",
    "intermediates": "text_layer.i / image_layer.i (batch first, before ln_post) are the towers' layer outputs; "
                     "HF runs vision resblocks 0..Lt-1 only, so image_layer.i exists for i < Lt; "
                     "cross_*_in.j are the inputs of cross layer j, cross_*.j its outputs",
    "text mask": "HF adds (1 - mask) * finfo(float32).min to the scores (not -10000); image tokens unmasked",
}

BASE = dict(hidden_size=32, num_attention_heads=4, num_hidden_layers=2, contrastive_hidden_size=16,
            logit_scale_init_value=2.6592)
TEXT = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=42, type_vocab_size=1)
VISION = dict(hidden_size=64, num_hidden_layers=2, patch_size=8, image_size=32)


def config(top=None, text=None, vision=None):
    return BridgeTowerConfig(**{**BASE, **(top or {})}, text_config={**TEXT, **(text or {})},
                             vision_config={**VISION, **(vision or {})})


# ---- knob variants: a copy of the model with one knob put back to what a careless reader would assume ----

def set_eps(modules, eps):
    for m in modules:
        for ln in m.modules():
            if isinstance(ln, nn.LayerNorm):
                ln.eps = eps


def bt_of(model):
    return model if isinstance(model, BridgeTowerModel) else model.bridgetower


def text_and_cross(bt):
    return [bt.text_model, bt.cross_modal_text_layers, bt.cross_modal_image_layers]


def top_level_lns(model):
    bt = bt_of(model)
    mods = [bt.cross_modal_text_layernorm, bt.cross_modal_image_layernorm, bt.cross_modal_text_link_tower,
            bt.cross_modal_image_link_tower]
    if hasattr(model, "mlm_score"):
        mods.append(model.mlm_score.transform)
    return mods


def set_act(modules, name):
    for m in modules:
        for sub in m.modules():
            if hasattr(sub, "intermediate_act_fn"):
                sub.intermediate_act_fn = ACT2FN[name]
            if hasattr(sub, "transform_act_fn"):
                sub.transform_act_fn = ACT2FN[name]


def set_link_type(model, kind):
    bt = bt_of(model)
    for tower in list(bt.cross_modal_text_link_tower) + list(bt.cross_modal_image_link_tower):
        tower.link_tower_type = kind


def set_cross_heads(model, heads):
    bt = bt_of(model)
    for layer in list(bt.cross_modal_text_layers) + list(bt.cross_modal_image_layers):
        for att in (layer.attention.self, layer.crossattention.self):
            att.num_attention_heads = heads
            att.attention_head_size = att.all_head_size // heads


def set_vision_heads(model, heads):
    for block in bt_of(model).vision_model.visual.transformer.resblocks:
        block.attn.num_heads = heads
        block.attn.head_dim = block.attn.embed_dim // heads


VARIANTS = {
    "vision_heads_rounded_2": lambda m: set_vision_heads(m, 2),
    "eps_top_1e-5": lambda m: set_eps(top_level_lns(m), 1e-5),
    "eps_text_1e-5": lambda m: set_eps(text_and_cross(bt_of(m)), 1e-5),
    "eps_vision_1e-5": lambda m: set_eps([bt_of(m).vision_model], 1e-5),
    "link_as_add": lambda m: set_link_type(m, "add"),
    "text_and_cross_act_gelu": lambda m: set_act(text_and_cross(bt_of(m)), "gelu"),
    "mlm_transform_act_gelu": lambda m: set_act([m.mlm_score], "gelu"),
    "cross_act_from_top_level_gelu": lambda m: set_act([bt_of(m).cross_modal_text_layers,
                                                        bt_of(m).cross_modal_image_layers], "gelu"),
    "cross_heads_from_top_level_4": lambda m: set_cross_heads(m, 4),
}


# ---- running a model and capturing its intermediates ----

def capture(bt):
    """Forward hooks on a BridgeTowerModel that record the project's intermediate names."""
    got, handles = {}, []

    def out_hook(name, first=False, lnd=False):
        def hook(_m, _args, out):
            t = out[0] if first else out
            got[name] = f32(t.permute(1, 0, 2) if lnd else t)
        return hook

    def in_hook(name):
        def hook(_m, args):
            got[name] = f32(args[0])
        return hook

    handles.append(bt.text_model.embeddings.register_forward_hook(out_hook("text_embeddings")))
    for i, layer in enumerate(bt.text_model.encoder.layer):
        handles.append(layer.register_forward_hook(out_hook(f"text_layer.{i}", first=True)))
    handles.append(bt.vision_model.visual.ln_pre.register_forward_hook(out_hook("image_pre")))
    for i, block in enumerate(bt.vision_model.visual.transformer.resblocks):
        handles.append(block.register_forward_hook(out_hook(f"image_layer.{i}", lnd=True)))
    for side in ("text", "image"):
        for j, layer in enumerate(getattr(bt, f"cross_modal_{side}_layers")):
            handles.append(layer.register_forward_pre_hook(in_hook(f"cross_{side}_in.{j}")))
            handles.append(layer.register_forward_hook(out_hook(f"cross_{side}.{j}", first=True)))
    return got, handles


def run(model, inputs):
    """The model's outputs under the project's names (intermediates included)."""
    bt = bt_of(model)
    got, handles = capture(bt)
    with torch.no_grad():
        out = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                    pixel_values=inputs["pixel_values"].to(bt.vision_model.dtype))
        if isinstance(model, BridgeTowerModel):
            base = out
        else:
            base = bt(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                      pixel_values=inputs["pixel_values"].to(bt.vision_model.dtype))
    for h in handles:
        h.remove()
    got["text_feats"] = f32(base.text_features)
    got["image_feats"] = f32(base.image_features)
    got["cls_feats"] = f32(base.pooler_output)
    if isinstance(model, BridgeTowerForImageAndTextRetrieval):
        got["itm_logits"] = f32(out.logits)
    if isinstance(model, BridgeTowerForMaskedLM):
        got["mlm_logits"] = f32(out.logits)
    if isinstance(model, BridgeTowerForContrastiveLearning):
        got["itc_text"] = f32(out.text_embeds)
        got["itc_image"] = f32(out.image_embeds)
        got["itc_cross"] = f32(out.cross_embeds)
        got["itc_logits"] = f32(out.logits)
    return got


# ---- a tiny byte-level BPE vocabulary for the folder that ships tokenizer files ----

MERGES = ["Ġ t", "h e", "Ġt he", "a t", "Ġ c", "Ġc at", "Ġ s", "Ġs at", "Ġ o", "Ġo n", "Ġ m", "Ġm at", "Ġ a",
          "Ġ d", "o g", "Ġd og", "i n", "Ġ in", "Ġ r", "e d", "Ġr ed", "Ġ b", "o x", "Ġb ox", "Ġ p", "Ġ h", "Ġ w",
          "Ġ f", "Ġ l", "Ġ n"]


def write_tokenizer(folder, vocab_size):
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for ch in "abcdefghijklmnopqrstuvwxyz.Ġ":
        vocab[ch] = len(vocab)
    for merge in MERGES:
        vocab["".join(merge.split())] = len(vocab)
    assert len(vocab) <= vocab_size - 1, len(vocab)
    filler = 0
    while len(vocab) < vocab_size - 1:
        vocab[f"Ġ{filler}"] = len(vocab)
        filler += 1
    vocab["<mask>"] = vocab_size - 1
    tmp = os.path.join(folder, "_tok")
    os.makedirs(tmp, exist_ok=True)
    write_json(os.path.join(tmp, "vocab.json"), vocab)
    with open(os.path.join(tmp, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(MERGES) + "\n")
    tok = RobertaTokenizer(os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt"))
    shutil.rmtree(tmp)
    tok.save_pretrained(folder)
    return RobertaTokenizer.from_pretrained(folder)


# ---- the folders ----

def spec(name, cls, cfg, knobs, variants=(), seed=0, scalars=None, safe=True, tokenizer=False, inputs=None,
         notes=None, also=(), shard=None):
    return dict(name=name, cls=cls, cfg=cfg, knobs=knobs, variants=list(variants), seed=seed, scalars=scalars or {},
                safe=safe, tokenizer=tokenizer, inputs=inputs or {}, notes=notes or [], also=list(also), shard=shard)


def link_scalars(c, param):
    return {f"bridgetower.cross_modal_{side}_link_tower.{i}.{param}": uniform(0.2, 0.8) if param == "beta"
            else uniform(0.3, 1.8)
            for side in ("text", "image") for i in range(c - 1)}


SPECS = [
    spec("hf-model", BridgeTowerModel, config(), tokenizer=True, seed=11,
         knobs={"class": "plain BridgeTowerModel: keys without the bridgetower. prefix",
                "files": "model.safetensors + config.json + vocab.json/merges.txt (RobertaTokenizer.save_pretrained) "
                         "+ preprocessor_config.json (size_divisor 16, mean = std = 0.5)"},
         notes=["input_ids are RobertaTokenizer(vocab.json, merges.txt)(texts, padding=True) of manifest.texts",
                "png_pixel_values = BridgeTowerImageProcessor.from_pretrained(folder)(image.png, "
                "do_center_crop=True): v4.40.2 drops do_center_crop unless it is passed (a no-op statement in "
                "preprocess), and without the crop it returns [1, 3, 32, 48], which the model cannot take"]),
    spec("hf-itm-bin", BridgeTowerForImageAndTextRetrieval,
         config(top={"link_tower_type": "scaled_add", "num_hidden_layers": 3}, text={"num_hidden_layers": 3},
                vision={"num_hidden_layers": 3}),
         safe=False, seed=12, scalars=link_scalars(3, "scaled_factor"), variants=["link_as_add"],
         knobs={"serialization": "pytorch_model.bin (save_pretrained safe_serialization=False)",
                "link_tower_type": "scaled_add: LN(x * scaled_factor + cross), one random scaled_factor per tower"}),
    spec("hf-mlm-eps", BridgeTowerForMaskedLM,
         config(top={"layer_norm_eps": 0.03}, text={"layer_norm_eps": 0.1}, vision={"layer_norm_eps": 0.2}),
         seed=13, inputs={"mask_id": 63}, variants=["eps_top_1e-5", "eps_text_1e-5", "eps_vision_1e-5"],
         knobs={"layer_norm_eps": "top 0.03 (cross_modal_*_layernorm, link towers, MLM transform), text_config 0.1 "
                                  "(text embeddings + layers, all cross layers), vision_config 0.2 (ln_pre, ln_1, "
                                  "ln_2, ln_post)"}),
    spec("hf-mlm-tied", BridgeTowerForMaskedLM,
         config(top={"link_tower_type": "interpolate", "hidden_act": "relu", "tie_word_embeddings": True,
                     "num_hidden_layers": 3},
                text={"hidden_act": "silu", "num_hidden_layers": 3}, vision={"num_hidden_layers": 3}),
         seed=14, scalars=link_scalars(3, "beta"), inputs={"mask_id": 63},
         variants=["link_as_add", "text_and_cross_act_gelu", "mlm_transform_act_gelu"],
         knobs={"tie_word_embeddings": "true: mlm_score.decoder.weight is absent from the file and is "
                                       "text_model.embeddings.word_embeddings.weight",
                "link_tower_type": "interpolate: LN(x * (1 - beta) + cross * beta), one random beta per tower",
                "hidden_act": "text_config silu (text layers and cross layers), top-level relu (MLM transform); "
                              "not gelu_new: it is within 1e-3 of gelu, below the tolerance"}),
    spec("hf-itm-crosscfg", BridgeTowerForImageAndTextRetrieval,
         config(top={"num_attention_heads": 4, "hidden_act": "gelu"},
                text={"num_attention_heads": 2, "intermediate_size": 48, "hidden_act": "relu"}),
         seed=15, variants=["cross_heads_from_top_level_4", "cross_act_from_top_level_gelu"],
         knobs={"cross layers from text_config": "cross heads 2 (text_config) not 4 (top level), FFN 48 "
                                                 "(text_config.intermediate_size, not hidden*4=128), act relu "
                                                 "(text_config.hidden_act, not top-level gelu)"}),
    spec("hf-itm-w96", BridgeTowerForImageAndTextRetrieval,
         config(text={"num_hidden_layers": 2}, vision={"hidden_size": 96, "num_hidden_layers": 3,
                                                       "remove_last_layer": True, "image_size": 16}),
         seed=16, variants=["vision_heads_rounded_2"],
         knobs={"CLIP width 96": "vision heads = 96 // 64 = 1 (not 96/64 rounded)",
                "remove_last_layer": "vision_config.num_hidden_layers 3 but only resblocks 0, 1 exist in the file"}),
    spec("hf-itc", BridgeTowerForContrastiveLearning,
         config(top={"hidden_size": 64}, text={"hidden_size": 64, "intermediate_size": 32},
                vision={"num_hidden_layers": 3, "share_layernorm": False}), seed=17,
         scalars={"logit_scale": uniform(1.5, 3.0)},
         knobs={"class": "BridgeTowerForContrastiveLearning: HF's own ITC definitions (see definitions)",
                "vision deeper than text": "vision 3 layers, text 2: HF runs resblocks 0, 1 only; itc_image uses "
                                           "resblock 1 (index Lt-1), resblock 2 never runs",
                "share_layernorm false": "ln_separate.* are in the file but HF never uses them (ln_post everywhere)",
                "widths": "CLIP width = cross width = 64: HF's ContrastiveLearning cannot run a CLIP width that "
                          "differs from hidden_size (token_type_embeddings[1] is expanded to ln_post's width before "
                          "the transform and fails)"}),
    spec("hf-itm-mlm-itc", BridgeTowerForContrastiveLearning,
         config(top={"hidden_size": 64, "num_attention_heads": 2}, text={"hidden_size": 64, "intermediate_size": 32,
                                                                        "num_attention_heads": 2}),
         seed=18, scalars={"logit_scale": uniform(1.5, 3.0)}, inputs={"mask_id": 63},
         also=[BridgeTowerForImageAndTextRetrieval, BridgeTowerForMaskedLM], shard="400KB",
         knobs={"layout": "like the hub's bridgetower-large-itm-mlm-itc: one checkpoint holding the ITC, ITM and MLM "
                          "heads, architectures [BridgeTowerForContrastiveLearning]; sharded safetensors "
                          "(model.safetensors.index.json + model-0000N-of-0000M.safetensors)"},
         notes=["expected = the union of what BridgeTowerForContrastiveLearning, ForImageAndTextRetrieval and "
                "ForMaskedLM each compute after from_pretrained of this folder (each ignores the other heads); "
                "their shared outputs are identical"]),
]


def authors_itc(model, inputs):
    """The authors' ITC on an HF contrastive model: the last vision layer through ln_separate (or ln_post)."""
    bt = model.bridgetower
    with torch.no_grad():
        text = bt.text_model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        layers = bt.vision_model(inputs["pixel_values"])  # [Lv, B, N, Hv], each through ln_separate[i] or ln_post
        norm = nn.functional.normalize
        return {"itc_text": f32(norm(model.itc_text_head(text.last_hidden_state[:, 0]), dim=-1)),
                "itc_image": f32(norm(model.itc_image_head(layers[-1][:, 0]), dim=-1))}


def beta_renamed(model):
    beta = sorted(n for n, _ in model.named_parameters() if n.endswith(".beta"))
    return {"missing_keys": beta, "unexpected_keys": sorted(n[:-len("beta")] + "bias" for n in beta)} if beta else None


def load_checked(cls, folder, source, allowed_unexpected):
    """from_pretrained, then check every parameter equals the source model's (beta handled as documented)."""
    reloaded, info = cls.from_pretrained(folder, output_loading_info=True)
    reloaded.eval()
    bad = {k: sorted(set(v) - (allowed_unexpected if k == "unexpected_keys" else set())) for k, v in info.items()}
    bad = {k: v for k, v in bad.items() if v}
    as_is = None
    if bad and bad == beta_renamed(source):
        # from_pretrained renames every key containing "beta" to "bias" (a legacy TF-name fix in modeling_utils),
        # so an `interpolate` link tower's beta is dropped and stays at its constructor value 0.5. The expected
        # outputs use the beta stored in the file (what the saved model computed); the manifest records how far
        # HF's own reload is from them.
        as_is = copy.deepcopy(reloaded)
        with torch.no_grad():
            for key in bad["missing_keys"]:
                reloaded.get_parameter(key).copy_(source.get_parameter(key))
    elif bad:
        raise RuntimeError(f"{folder}: {cls.__name__}.from_pretrained reported {bad}")
    for k, v in source.state_dict().items():
        if not torch.equal(v, reloaded.state_dict()[k]):
            raise RuntimeError(f"{folder}: {k} differs after the reload")
    return reloaded, as_is


def make(spec_, out_dir):
    name, cls = spec_["name"], spec_["cls"]
    folder = os.path.join(out_dir, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    torch.manual_seed(spec_["seed"])
    model = cls(spec_["cfg"]).eval()
    randomize(model, spec_["seed"], spec_["scalars"])
    # Other classes whose heads share the file (the hub's itm-mlm-itc checkpoints): their own random heads on the
    # same bridgetower weights, all written by one save_pretrained.
    sources = {cls: model}
    merged = model.state_dict()
    for k, other in enumerate(spec_["also"]):
        m = other(spec_["cfg"]).eval()
        randomize(m, spec_["seed"] + 1 + k, spec_["scalars"])
        m.bridgetower.load_state_dict(model.bridgetower.state_dict())
        sources[other] = m
        merged.update({n: t for n, t in m.state_dict().items() if n not in merged})
    model.save_pretrained(folder, safe_serialization=spec_["safe"], state_dict=merged,
                          **({"max_shard_size": spec_["shard"]} if spec_["shard"] else {}))
    models = {}
    from_pretrained_as_is = None
    for c, src in sources.items():
        models[c], as_is = load_checked(c, folder, src, set(merged) - set(src.state_dict()))
        from_pretrained_as_is = from_pretrained_as_is or as_is
    reloaded = models[cls]
    cfg = reloaded.config
    text_cfg = cfg.text_config

    manifest_extra = {}
    if spec_["tokenizer"]:
        tok = write_tokenizer(folder, text_cfg.vocab_size)
        texts = ["the cat sat on the mat.", "a red <mask> in the box."]
        enc = tok(texts, padding=True, return_tensors="pt")
        shutil.copy(PNG, os.path.join(folder, "image.png"))
        BridgeTowerImageProcessor(size={"shortest_edge": cfg.vision_config.image_size}, size_divisor=16,
                                  image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5]).save_pretrained(folder)
        from PIL import Image
        proc = BridgeTowerImageProcessor.from_pretrained(folder)
        png = proc(Image.open(PNG).convert("RGB"), do_center_crop=True, return_tensors="pt")["pixel_values"]
        png_no_crop = proc(Image.open(PNG).convert("RGB"), return_tensors="pt")["pixel_values"]
        g = torch.Generator().manual_seed(spec_["seed"])
        pixels = torch.randn(2, 3, cfg.vision_config.image_size, cfg.vision_config.image_size, generator=g)
        pixels[0] = png[0]
        inputs = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"], "pixel_values": pixels,
                  "png_pixel_values": png}
        manifest_extra["texts"] = texts
        manifest_extra["tokens"] = [tok.convert_ids_to_tokens(r) for r in enc["input_ids"].tolist()]
        manifest_extra["png"] = {"pixel_values[0]": "= png_pixel_values[0]", "png_size_wh": [151, 100],
                                 "processor_call": "proc(image, do_center_crop=True)",
                                 "shape_without_do_center_crop_in_v4.40.2": list(png_no_crop.shape)}
    else:
        inputs = random_inputs(spec_["seed"], 2, 7, text_cfg.vocab_size, cfg.vision_config.image_size, [0, 2],
                               spec_["inputs"].get("mask_id"))

    expected, f64, required = {}, {}, []
    for c, m in models.items():
        for k, v in run(m, inputs).items():
            if k in expected and not torch.equal(expected[k], v):
                raise RuntimeError(f"{name}: {k} differs between the classes")
            expected[k] = v
        f64.update(run(copy.deepcopy(m).double(), inputs))
        required += [k for k in REQUIRED[c.__name__] if k not in required]
    for k in required:
        assert k in expected, k
    if from_pretrained_as_is is not None:
        manifest_extra["hf_from_pretrained_drops_beta"] = {
            "what": "transformers v4.40.2 from_pretrained renames checkpoint keys containing 'beta' to 'bias', so "
                    "link_tower.N.beta is reported missing and HF's reloaded model runs with beta = 0.5 (its "
                    "constructor value). expected.safetensors uses the beta stored in the file; these are the "
                    "max |differences| of HF's as-is reload from it",
            **max_abs({k: expected[k] for k in REQUIRED[cls.__name__]}, run(from_pretrained_as_is, inputs))}
    variants = {}
    for v in spec_["variants"]:
        m2 = copy.deepcopy(reloaded)
        VARIANTS[v](m2)
        diff = max_abs({k: expected[k] for k in required}, run(m2, inputs))
        variants[v] = diff
        worst = max(d for d in diff.values() if isinstance(d, float))
        if worst < 1e-2:
            raise RuntimeError(f"{name}: knob variant {v} moves the outputs by only {worst}")

    save_tensors(os.path.join(folder, "inputs.safetensors"), inputs)
    save_tensors(os.path.join(folder, "expected.safetensors"), expected)
    weights = "model.safetensors" if spec_["safe"] else "pytorch_model.bin"
    if spec_["shard"]:
        weights = weights.replace(".bin", ".bin.index.json").replace(".safetensors", ".safetensors.index.json")
        assert os.path.exists(os.path.join(folder, weights)), weights
    split = text_cfg.num_hidden_layers - cfg.num_hidden_layers + 1
    visual = bt_of(reloaded).vision_model.visual
    manifest = {
        "made_by": f"{HF} {', '.join(c.__name__ for c in models)} (transformers' own classes, unmodified), "
                   f"save_pretrained(safe_serialization={spec_['safe']}"
                   f"{', max_shard_size=' + repr(spec_['shard']) if spec_['shard'] else ''}); expected = each class "
                   "reloaded by from_pretrained from this folder",
        "generator": "tools/reference/make_hf_fixtures.py",
        "definitions": "hf",
        "hf_class": cls.__name__,
        **({"hf_classes_evaluated": [c.__name__ for c in models]} if len(models) > 1 else {}),
        "architectures": cfg.architectures,
        "seed": spec_["seed"],
        "knobs": spec_["knobs"],
        "notes": spec_["notes"],
        "definitions_detail": DEFINITIONS,
        "resolved_config": json.load(open(os.path.join(folder, "config.json"))),
        "derived": {
            "split_index": split,
            "num_image_tokens": (cfg.vision_config.image_size // cfg.vision_config.patch_size) ** 2 + 1,
            "vision_heads": cfg.vision_config.hidden_size // 64,
            "vision_resblocks_in_file": len(visual.transformer.resblocks),
            "vision_resblocks_run": text_cfg.num_hidden_layers,
            "cross_layer_sources": [{"cross_layer": j, "text_layer": split - 1 + j, "image_resblock": split - 1 + j}
                                    for j in range(cfg.num_hidden_layers)],
            "cross_layers": {"heads": text_cfg.num_attention_heads, "intermediate_size": text_cfg.intermediate_size,
                             "hidden_act": text_cfg.hidden_act, "layer_norm_eps": text_cfg.layer_norm_eps},
            "layer_norm_eps": {"text_encoder": text_cfg.layer_norm_eps, "cross_modal_layers": text_cfg.layer_norm_eps,
                               "vision_all": cfg.vision_config.layer_norm_eps,
                               "cross_modal_text_image_layernorm": cfg.layer_norm_eps, "link_tower": cfg.layer_norm_eps,
                               "mlm_transform": cfg.layer_norm_eps},
            "mlm_transform_act": cfg.hidden_act,
            "attention_mask_additive": float(torch.finfo(torch.float32).min),
        },
        "files": {"hf_weights": weights, "hf_config": "config.json", "inputs": "inputs.safetensors",
                  "expected": "expected.safetensors",
                  **({"vocab": "vocab.json", "merges": "merges.txt", "preprocessor": "preprocessor_config.json",
                      "png": "image.png"} if spec_["tokenizer"] else {})},
        "inputs": input_specs(inputs),
        "outputs": shapes(expected),
        "required_outputs": required,
        "tolerance": TOLERANCE,
        "f32_vs_f64_maxabs": max_abs(expected, f64),
        "knob_variants_maxabs": {"what": "max |expected - output| when the knob is put back to the value a reader "
                                         "ignoring it would use (same weights): proves the fixture catches it",
                                 **variants},
        "state_dict_keys": sorted(merged.keys()),
        **manifest_extra,
    }
    if isinstance(reloaded, BridgeTowerForContrastiveLearning):
        manifest["authors_definition_maxabs"] = {
            "what": "max |difference| of the authors' ITC definitions on these weights from HF's (expected)",
            **max_abs({k: expected[k] for k in ("itc_text", "itc_image")}, authors_itc(reloaded, inputs))}
        manifest["logit_scale"] = {"parameter": float(reloaded.logit_scale), "exp": float(reloaded.logit_scale.exp()),
                                   "use": "similarities are multiplied by exp(logit_scale)"}
    scal = {n: float(p) for n, p in reloaded.named_parameters() if p.dim() == 0}
    if scal:
        manifest["scalar_parameters"] = scal
    write_json(os.path.join(folder, "manifest.json"), manifest)
    print(f"{name}: {folder_size(folder)} bytes, worst f32-f64 {max(manifest['f32_vs_f64_maxabs'].values()):.2e}",
          {v: max(d.values()) for v, d in variants.items()})


if __name__ == "__main__":
    run_specs(SPECS, make, sys.argv)
