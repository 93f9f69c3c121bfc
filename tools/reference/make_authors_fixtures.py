"""Golden fixtures made with the authors' own code (microsoft/BridgeTower's BTTransformer LightningModule).

The module is built from a config made the way their sacred config is (the `config` scope, then named configs,
then our small sizes), with two stand-ins for what it would download: their CLIP class built directly with small
dimensions (`build_model` reads OpenAI's TorchScript archive otherwise) and a small randomly initialised
RoBERTa / their BertModel (`from_pretrained` otherwise). transformers v4.40.2 runs their code; two behaviours of
4.17 (which they pin) are restored: the additive mask value -10000 and the persistent `position_ids` buffer.
Every parameter is set to a random value, the model is written to a `.ckpt` the way PyTorch Lightning 1.5.10
saves their training, loaded back through their own `load_path` + `test_only` path, and evaluated.

usage: python3 make_authors_fixtures.py <out-dir> [folder ...]     (see README.md for PYTHONPATH)
"""
import collections
import copy
import os
import shutil
import sys

import torch
from torch import nn

import transformers
from transformers import RobertaConfig, RobertaModel

from src import config as authors_config
from src.modules import bt_module, clip_model
from src.modules import bert_model as authors_bert

from common import (TOLERANCE, f32, folder_size, input_specs, max_abs, random_inputs, randomize, run_specs, save_tensors,
                    shapes, uniform, write_json)

EXTENSION_KEYS = ["vit_width", "vit_layers", "vit_heads", "clip_context_length", "clip_text_width", "text_num_layers",
                  "text_num_heads", "text_intermediate_size", "text_max_position_embeddings", "text_type_vocab_size"]
RESOLVED_KEYS = ["loss_names", "image_size", "patch_size", "vqav2_label_size", "tokenizer", "vocab_size",
                 "input_image_embed_size", "input_text_embed_size", "vit", "hidden_size", "num_heads", "num_layers",
                 "mlp_ratio", "vit_layernorm_shared", "vit_remove_last", "task_head_layers", "head_hidden_scale",
                 "contrastive_hidden_size", "max_text_len"] + EXTENSION_KEYS


def scope(fn):
    """Run a sacred config scope and return its local variables (what sacred does for these scopes)."""
    captured = {}

    def profiler(frame, event, _arg):
        if event == "return" and frame.f_code is fn.__code__:
            captured.update(frame.f_locals)

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return captured


def make_config(named, updates):
    cfg = scope(authors_config.ex.configs[0])
    for name in named:
        cfg.update(scope(authors_config.ex.named_configs[name]))
    for k, v in updates.items():
        if k == "loss_names":
            cfg[k] = authors_config._loss_names(v)
        else:
            cfg[k] = v
    return cfg


# ---- stand-ins for the downloads, built from the config's extension keys ----

def ext_mask_417(attention_mask, input_shape=None, device=None):
    """transformers 4.17's ModuleUtilsMixin.get_extended_attention_mask for a 2-D encoder mask."""
    ext = attention_mask[:, None, None, :].to(torch.float32)
    return (1.0 - ext) * -10000.0


def as_417(text_model):
    text_model.get_extended_attention_mask = ext_mask_417
    emb = text_model.embeddings
    ids = emb.position_ids.clone()
    del emb.position_ids
    emb.register_buffer("position_ids", ids)  # persistent, as in 4.17 (saved in their checkpoints)
    return text_model


def install_stand_ins(cfg):
    def build_model(name, resolution_after=224, model_type="BT", vit_layernorm_shared=True, vit_remove_last=False):
        return clip_model.CLIP(embed_dim=cfg["clip_text_width"], image_resolution=resolution_after,
                               vision_layers=cfg["vit_layers"], vision_width=cfg["vit_width"],
                               vision_patch_size=cfg["patch_size"], context_length=cfg["clip_context_length"],
                               vocab_size=cfg["vocab_size"], transformer_width=cfg["clip_text_width"],
                               transformer_heads=max(1, cfg["clip_text_width"] // 64), transformer_layers=1,
                               resolution_after=resolution_after, model_type=model_type,
                               vit_layernorm_shared=vit_layernorm_shared, vit_remove_last=vit_remove_last)

    text = dict(vocab_size=cfg["vocab_size"], hidden_size=cfg["input_text_embed_size"],
                num_hidden_layers=cfg["text_num_layers"], num_attention_heads=cfg["text_num_heads"],
                intermediate_size=cfg["text_intermediate_size"],
                max_position_embeddings=cfg["text_max_position_embeddings"],
                type_vocab_size=cfg["text_type_vocab_size"])

    class Roberta:
        @staticmethod
        def from_pretrained(name):
            assert "roberta" in name
            # roberta-base's config.json: layer_norm_eps 1e-5, pad 1 (RobertaConfig defaults otherwise)
            return as_417(RobertaModel(RobertaConfig(**text, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
                                                     eos_token_id=2)))

    class Bert:
        @staticmethod
        def from_pretrained(name):
            assert "bert" in name
            # bert-base-uncased's config.json: layer_norm_eps 1e-12 (BertConfig default), pad 0
            model = authors_bert.BertModel(authors_bert.BertConfig(**text, pad_token_id=0))
            model.get_extended_attention_mask = ext_mask_417
            return model

    bt_module.build_model = build_model
    bt_module.RobertaModel = Roberta
    bt_module.BertModel = Bert


def build(cfg):
    install_stand_ins(cfg)
    model = bt_module.BTTransformer(cfg)
    model.eval()
    return model


# ---- running their inference and capturing intermediates ----

class Capture:
    def __init__(self, model):
        self.prefix, self.got, self.handles = "", {}, []
        tt = model.text_transformer
        self.hook(tt.embeddings, "text_embeddings")
        for i, layer in enumerate(tt.encoder.layer):
            self.hook(layer, f"text_layer.{i}", first=True)
        visual = model.vit_model.visual
        self.hook(visual.ln_pre, "image_pre")
        for i, block in enumerate(visual.transformer.resblocks):
            self.hook(block, f"image_layer.{i}", lnd=True)
        for side in ("text", "image"):
            for j, layer in enumerate(getattr(model, f"cross_modal_{side}_layers")):
                self.handles.append(layer.register_forward_pre_hook(self.pre(f"cross_{side}_in.{j}")))
                self.hook(layer, f"cross_{side}.{j}", first=True)

    def hook(self, module, name, first=False, lnd=False):
        def fn(_m, _args, out):
            t = out[0] if first else out
            self.got[self.prefix + name] = f32(t.permute(1, 0, 2) if lnd else t)
        self.handles.append(module.register_forward_hook(fn))

    def pre(self, name):
        def fn(_m, args):
            self.got[self.prefix + name] = f32(args[0])
        return fn

    def remove(self):
        for h in self.handles:
            h.remove()


def heads(model, cfg, ret):
    out = {}
    ln = cfg["loss_names"]
    if ln["mlm"] > 0:
        out["mlm_logits"] = f32(model.mlm_score(ret["text_feats"]))
    if ln["itm"] > 0 or ln["itm_itc"] > 0 or ln["irtr_itm_itc"] > 0:
        out["itm_logits"] = f32(model.itm_score(ret["cls_feats"]))
    if ln["vqa"] > 0:
        out["vqa_logits"] = f32(model.vqa_classifier(ret["cls_feats"]))
    if ln["snli"] > 0:
        out["snli_logits"] = f32(model.snli_classifier(ret["cls_feats"]))
    if ln["irtr"] > 0:
        out["rank_score"] = f32(model.rank_output(ret["cls_feats"])[:, 0])
    return out


def run(model, cfg, inputs):
    """Their inference: `infer` for every head, `get_uni_modal_features` for ITC, and for itm_itc /
    irtr_itm_itc models ITM through `get_uni_modal_features` + `infer_fusion` (compute_itm_itc's path)."""
    batch = {"text_ids": inputs["input_ids"], "text_masks": inputs["attention_mask"],
             "text_labels": torch.full_like(inputs["input_ids"], -100), "image": [inputs["pixel_values"]]}
    cap = Capture(model)
    extra = {}
    ln = cfg["loss_names"]
    itm_path = ln["itm_itc"] > 0 or ln["irtr_itm_itc"] > 0
    with torch.no_grad():
        ret = model.infer(batch)
        got = dict(cap.got)
        got.update({k: f32(ret[k]) for k in ("text_feats", "image_feats", "cls_feats")})
        got.update(heads(model, cfg, ret))
        cap.prefix = "uni."
        uni = model.get_uni_modal_features(batch, fusion_features=True, itc=True) if hasattr(model, "itc_text_head") \
            else None
        if uni is None:
            model.vit_model(inputs["pixel_values"])
        for k, v in cap.got.items():
            if k.startswith("uni.image_layer."):
                name = k[len("uni."):]
                if name in got and not torch.equal(got[name], v):
                    raise RuntimeError(f"{name} differs between infer and the full vision run")
                got[name] = v
        if uni is not None:
            got["itc_text"] = f32(uni["unimodal_feats_text"])
            got["itc_image"] = f32(uni["unimodal_feats_image"])
        if itm_path:
            cap.prefix = "itm."
            fused = model.infer_fusion(uni["image_embedss"], uni["text_embedss"], uni["extend_text_masks"])
            extra = {k: v for k, v in cap.got.items() if k.startswith("itm.cross_")}
            extra.update({f"itm.{k}": f32(fused[k]) for k in ("text_feats", "image_feats", "cls_feats")})
            extra["itm.infer_path_itm_logits"] = got["itm_logits"]
            got["itm_logits"] = f32(model.itm_score(fused["cls_feats"]))
    cap.remove()
    return got, extra


def run_f64(model, cfg, inputs):
    """`run` in float64; their CLIP LayerNorm casts to float32 (for fp16 training), so it runs as torch's here."""
    cast = clip_model.LayerNorm.forward
    clip_model.LayerNorm.forward = nn.LayerNorm.forward
    try:
        return run(copy.deepcopy(model).double(), cfg,
                   {k: v.double() if v.is_floating_point() else v for k, v in inputs.items()})
    finally:
        clip_model.LayerNorm.forward = cast


# ---- checkpoint as PyTorch Lightning 1.5.10 writes their training ----

def save_ckpt(model, cfg, path):
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg["learning_rate"],
                            weight_decay=cfg["weight_decay"])
    ckpt = collections.OrderedDict([
        ("epoch", 0), ("global_step", 0), ("pytorch-lightning_version", "1.5.10"),
        ("state_dict", model.state_dict()),
        ("callbacks", {}),
        ("optimizer_states", [opt.state_dict()]),
        ("lr_schedulers", [{"base_lrs": [cfg["learning_rate"]], "last_epoch": 0, "lr_lambdas": [None]}]),
        ("hparams_name", "kwargs"),
        ("hyper_parameters", {"config": cfg}),
    ])
    torch.save(ckpt, path)


# ---- the folders ----

SMALL = dict(image_size=32, patch_size=8, vocab_size=64, max_text_len=40, vit="CLIP-ViT-synthetic",
             hidden_size=32, num_heads=4, num_layers=2, mlp_ratio=2, input_text_embed_size=32,
             input_image_embed_size=64, vit_width=64, vit_layers=2, vit_heads=1, clip_context_length=8,
             clip_text_width=16, text_num_layers=2, text_num_heads=4, text_intermediate_size=64,
             text_max_position_embeddings=42, text_type_vocab_size=1, contrastive_hidden_size=16,
             vqav2_label_size=11, head_hidden_scale=2, task_head_layers=2, load_path="", test_only=False)

SPECS = [
    dict(name="authors-itm-itc", seed=21, named=["task_mlm_itm_itc_hard", "bt"],
         updates=dict(SMALL, tokenizer="roberta-base", hidden_size=64, input_text_embed_size=64, vit_layers=3,
                      vit_layernorm_shared=False, loss_names={"itm_itc": 1, "mlm": 1}),
         knobs={"loss_names": "itm_itc + mlm (task_mlm_itm_itc_hard)",
                "vit_layernorm_shared": "false: ln_separate.0..2 present",
                "depths": "text 2, vision 3, cross 2: infer bridges vision layers 0, 1 through ln_post; the ITM path "
                          "(get_uni_modal_features + infer_fusion) bridges the last 2 vision layers (1, 2) through "
                          "ln_separate[1], ln_separate[2]"},
         notes=["itm_logits = itm_score(infer_fusion(get_uni_modal_features(batch))['cls_feats']), compute_itm_itc's "
                "positive-pair path; text_feats / image_feats / cls_feats / mlm_logits and the intermediates are "
                "infer's; itc_text / itc_image are get_uni_modal_features' (last text layer; last vision layer "
                "through ln_separate[Lv-1])",
                "expected-itm-path.safetensors (not required) holds the ITM path's own intermediates: "
                "itm.cross_{text,image}_in.j, itm.cross_{text,image}.j, itm.text_feats / image_feats / cls_feats, "
                "and itm.infer_path_itm_logits = itm_score(infer's cls_feats), what a reader using infer for ITM "
                "computes"]),
    dict(name="authors-bert", seed=22, named=["task_mlm_itm_clip_bert", "bt"],
         updates=dict(SMALL, tokenizer="bert-base-uncased", text_type_vocab_size=2, text_max_position_embeddings=40,
                      loss_names={"itm": 1, "mlm": 1}),
         knobs={"tokenizer": "bert-base-uncased: their own BertModel (src/modules/bert_model.py) as text tower: "
                             "positions 0..L-1 (not RoBERTa's pad-aware positions), pad id 0, token type 0 of 2, "
                             "LayerNorm eps 1e-12 (BertConfig default, bert-base-uncased's config)"},
         notes=["an implementation may refuse this checkpoint by name (its config says tokenizer bert-base-uncased); "
                "it must never compute it as RoBERTa",
                "input ids: pad 0 at the end of a row; ids 1 and 2 play [CLS] / [SEP], 3 [MASK] (the vocabulary is "
                "synthetic)"]),
    dict(name="authors-w96", seed=23, named=["task_finetune_vqa_clip_bert", "bt"],
         updates=dict(SMALL, tokenizer="roberta-base", input_image_embed_size=96, vit_width=96, vit_layers=3,
                      vit_heads=1, vit_remove_last=True, loss_names={"vqa": 1, "itm": 1, "mlm": 1}),
         knobs={"vit_width": "96: their CLIP builds width // 64 = 1 head",
                "vit_remove_last": "true: vit_layers 3 but 2 resblocks (Transformer(layers - 1))"}),
]


def bert_inputs(seed, batch, length, vocab, image_size, pads):
    inputs = random_inputs(seed, batch, length, vocab, image_size, pads, mask_id=3)
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    ids[ids == 0] = 1  # [CLS] = 1; [SEP] stays 2
    ids[mask == 0] = 0  # [PAD] = 0
    return inputs


def make(spec, out_dir):
    name = spec["name"]
    folder = os.path.join(out_dir, name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    cfg = make_config(spec["named"], spec["updates"])
    torch.manual_seed(spec["seed"])
    model = build(copy.deepcopy(cfg))
    randomize(model, spec["seed"], {"temperature": uniform(0.03, 0.3)})
    ckpt = os.path.join(folder, "model.ckpt")
    save_ckpt(model, cfg, ckpt)

    # Their evaluation path: load_path + test_only (torch.load, adapt_position_encoding, load_state_dict).
    loaded = build(dict(copy.deepcopy(cfg), load_path=ckpt, test_only=True))
    saved = model.state_dict()
    for k, v in loaded.state_dict().items():
        if k not in saved or not torch.allclose(v, saved[k], rtol=0, atol=1e-6):
            raise RuntimeError(f"{name}: {k} differs after their load path")
    # adapt_position_encoding re-grids the position table even at the same size (bicubic): record how far.
    pos = "vit_model.visual.positional_embedding"
    regrid = float((loaded.state_dict()[pos] - saved[pos]).abs().max())

    if "bert" in cfg["tokenizer"]:
        inputs = bert_inputs(spec["seed"], 2, 7, cfg["vocab_size"], cfg["image_size"], [0, 2])
    else:
        inputs = random_inputs(spec["seed"], 2, 7, cfg["vocab_size"], cfg["image_size"], [0, 2],
                               mask_id=cfg["vocab_size"] - 1)
    expected, extra = run(loaded, cfg, inputs)
    f64, _ = run_f64(loaded, cfg, inputs)
    save_tensors(os.path.join(folder, "inputs.safetensors"), inputs)
    save_tensors(os.path.join(folder, "expected.safetensors"), expected)
    if extra:
        save_tensors(os.path.join(folder, "expected-itm-path.safetensors"), extra)

    required = [k for k in ("text_feats", "image_feats", "cls_feats", "mlm_logits", "itm_logits", "itc_text",
                            "itc_image", "vqa_logits", "snli_logits", "rank_score") if k in expected]
    Lt, C = cfg["text_num_layers"], cfg["num_layers"]
    split = Lt - C + 1
    blocks = len(loaded.vit_model.visual.transformer.resblocks)
    eps_text = loaded.text_transformer.embeddings.LayerNorm.eps
    manifest = {
        "made_by": "authors: microsoft/BridgeTower BTTransformer (src/modules/bt_module.py) on transformers "
                   f"v{transformers.__version__} with 4.17's mask value and persistent position_ids; written as a "
                   "PyTorch Lightning 1.5.10 checkpoint, evaluated after their load_path + test_only load",
        "generator": "tools/reference/make_authors_fixtures.py",
        "definitions": "authors",
        "seed": spec["seed"],
        "named_configs": spec["named"],
        "knobs": spec["knobs"],
        "notes": spec.get("notes", []),
        "config": cfg,
        "resolved_config": {k: cfg[k] for k in RESOLVED_KEYS},
        "derived": {
            "split_index": split,
            "num_image_tokens": (cfg["image_size"] // cfg["patch_size"]) ** 2 + 1,
            "vision_heads": cfg["vit_width"] // 64,
            "vision_resblocks": blocks,
            "cross_layer_sources_infer": [{"cross_layer": j, "text_layer": split - 1 + j,
                                           "image_resblock": split - 1 + j, "image_ln": "ln_post"} for j in range(C)],
            "layer_norm_eps": {"text_encoder": eps_text,
                               "cross_modal_layers": loaded.cross_modal_text_layers[0].output.LayerNorm.eps,
                               **({"mlm_head": loaded.mlm_score.transform.LayerNorm.eps}
                                  if hasattr(loaded, "mlm_score") else {}),
                               "clip_all": loaded.vit_model.visual.ln_post.eps,
                               "cross_modal_text_image_layernorm": loaded.cross_modal_text_layernorm.eps,
                               "link_tower": loaded.cross_modal_text_link_tower[0].LayerNorm.eps
                               if len(loaded.cross_modal_text_link_tower) else None,
                               "task_heads": 1e-5},
            "attention_mask_additive": -10000.0,
            "text_positions": "0..L-1 (BertEmbeddings)" if "bert" in cfg["tokenizer"]
                              else "cumsum(ids != 1) * (ids != 1) + 1 (RoBERTa)",
        },
        "files": {"checkpoint": "model.ckpt", "inputs": "inputs.safetensors", "expected": "expected.safetensors",
                  **({"itm_path_intermediates": "expected-itm-path.safetensors"} if extra else {})},
        "inputs": input_specs(inputs),
        "outputs": shapes(expected),
        "required_outputs": required,
        "tolerance": TOLERANCE,
        "f32_vs_f64_maxabs": max_abs(expected, f64),
        "position_regrid_at_load_maxabs": regrid,
        "state_dict_keys": len(saved),
        "param_count": sum(p.numel() for p in loaded.parameters()),
    }
    if extra:
        itm = cfg["loss_names"]["itm_itc"] > 0 or cfg["loss_names"]["irtr_itm_itc"] > 0
        Lv = blocks
        manifest["derived"]["cross_layer_sources_itm_path"] = [
            {"cross_layer": j, "text_layer": Lt - C + j, "image_resblock": Lv - C + j,
             "image_ln": "ln_post" if cfg["vit_layernorm_shared"] else f"ln_separate.{Lv - C + j}"}
            for j in range(C)] if itm else []
        manifest["itm_infer_path_vs_itm_path_maxabs"] = float(
            (extra["itm.infer_path_itm_logits"] - expected["itm_logits"]).abs().max())
    write_json(os.path.join(folder, "manifest.json"), manifest)
    print(f"{name}: {folder_size(folder)} bytes, worst f32-f64 {max(manifest['f32_vs_f64_maxabs'].values()):.2e}, "
          f"regrid {regrid:.1e}", manifest.get("itm_infer_path_vs_itm_path_maxabs"))


if __name__ == "__main__":
    run_specs(SPECS, make, sys.argv)
