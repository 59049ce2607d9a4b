#!/usr/bin/env python3
"""Reference fixtures for latentwatch's SAE loading and encoding.

Creates one small SAE (d_in 16, d_sae 32) per architecture and file format in this directory,
then asks the reference implementation for its latents and reconstructions on the same inputs:

  * SAELens (pip package ``sae-lens``) for SAELens directories, Gemma Scope ``params.npz`` and
    Llama Scope (SAELens's own converters are called on the local files);
  * a transcription of EleutherAI sparsify's ``SparseCoder.encode``/``decode`` for sparsify
    directories (labelled ``reference: sparsify-transcription`` in ``reference.txt``), because
    SAELens's sparsify converter does not subtract b_dec when ``normalize_decoder`` is true while
    sparsify itself does; what SAELens computes is recorded beside it.

Each fixture directory gets ``expected_latents.npy`` [rows, d_sae] and
``expected_reconstruction.npy`` [rows, d_in] for the shared ``inputs.npy`` [rows, d_in], all float32;
``fixtures.json`` lists the fixtures and the load options each needs.

    python make_fixtures.py                 # (re)write every fixture here
    python make_fixtures.py --out DIR       # write them into DIR (the Java test compares both)
    python make_fixtures.py --check DIR...  # load SAEs latentwatch saved (SAELens directories with
                                            # inputs.npy and latentwatch_latents.npy) with SAELens and
                                            # compare its latents with latentwatch's

Needs numpy, safetensors, torch and sae-lens.
"""
import argparse
import json
import math
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from safetensors.numpy import save_file

D_IN, D_SAE, ROWS, K = 16, 32, 12, 5


def rng(seed):
    return np.random.default_rng(seed)


def f32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def weights(seed, dec_norm=1.0):
    r = rng(seed)
    w_dec = r.normal(size=(D_SAE, D_IN))
    w_dec = w_dec / np.linalg.norm(w_dec, axis=1, keepdims=True) * dec_norm
    w_enc = w_dec.T * 0.8 + r.normal(scale=0.1, size=(D_IN, D_SAE))
    return {
        "W_enc": f32(w_enc),
        "b_enc": f32(r.normal(scale=0.3, size=D_SAE)),
        "W_dec": f32(w_dec),
        "b_dec": f32(r.normal(scale=0.5, size=D_IN)),
    }


def pre6_cfg(arch, **kw):
    cfg = {
        "architecture": arch, "d_in": D_IN, "d_sae": D_SAE, "activation_fn_str": "relu", "activation_fn_kwargs": {},
        "apply_b_dec_to_input": True, "finetuning_scaling_factor": False, "context_size": 128,
        "model_name": "fixture", "hook_name": "blocks.1.hook_resid_post", "hook_layer": 1, "hook_head_index": None,
        "prepend_bos": True, "dataset_path": "", "dataset_trust_remote_code": True, "normalize_activations": "none",
        "dtype": "float32", "device": "cpu", "sae_lens_training_version": None, "neuronpedia_id": None,
    }
    cfg.update(kw)
    return cfg


def v6_cfg(arch, **kw):
    cfg = {
        "architecture": arch, "d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu",
        "apply_b_dec_to_input": True, "normalize_activations": "none", "reshape_activations": "none",
        "metadata": {"sae_lens_version": "6.5.0", "sae_lens_training_version": "6.5.0", "model_name": "fixture",
                     "hook_name": "blocks.1.hook_resid_post", "hook_head_index": None, "prepend_bos": True,
                     "context_size": 128, "dataset_path": ""},
    }
    cfg.update(kw)
    return cfg


def write_saelens(d, cfg, tensors):
    d.mkdir(parents=True, exist_ok=True)
    (d / "cfg.json").write_text(json.dumps(cfg, indent=1))
    save_file({k: f32(v) for k, v in tensors.items()}, str(d / "sae_weights.safetensors"), metadata={"format": "pt"})


def make(out: Path):
    """Writes every fixture's files; returns [(name, relative path, load options, how to get the reference)]."""
    fx = []

    w = weights(1)
    write_saelens(out / "saelens-standard", pre6_cfg("standard"), w)
    fx.append(("saelens-standard", "saelens-standard", {}, "saelens"))

    w = weights(2)
    write_saelens(out / "saelens-standard-layer-norm",
                  pre6_cfg("standard", apply_b_dec_to_input=False, normalize_activations="layer_norm"), w)
    fx.append(("saelens-standard-layer-norm", "saelens-standard-layer-norm", {}, "saelens"))

    w = weights(3)
    w["scaling_factor"] = f32(rng(33).uniform(0.5, 1.5, size=D_SAE))
    write_saelens(out / "saelens-scaling-factor", pre6_cfg("standard", finetuning_scaling_factor=True), w)
    fx.append(("saelens-scaling-factor", "saelens-scaling-factor", {}, "saelens5-scaling"))

    w = weights(4)
    w["threshold"] = f32(rng(44).uniform(0.0, 0.8, size=D_SAE))
    write_saelens(out / "saelens-jumprelu", v6_cfg("jumprelu"), w)
    fx.append(("saelens-jumprelu", "saelens-jumprelu", {}, "saelens"))

    w = weights(5)
    w["threshold"] = f32(rng(55).uniform(0.0, 0.8, size=D_SAE))
    write_saelens(out / "saelens-jumprelu-constant-norm",
                  v6_cfg("jumprelu", apply_b_dec_to_input=False, normalize_activations="constant_norm_rescale"), w)
    fx.append(("saelens-jumprelu-constant-norm", "saelens-jumprelu-constant-norm", {}, "saelens"))

    w = weights(6)
    del w["b_enc"]
    r = rng(66)
    w["b_gate"] = f32(r.normal(scale=0.3, size=D_SAE))
    w["b_mag"] = f32(r.normal(scale=0.3, size=D_SAE))
    w["r_mag"] = f32(r.normal(scale=0.2, size=D_SAE))
    write_saelens(out / "saelens-gated", v6_cfg("gated"), w)
    fx.append(("saelens-gated", "saelens-gated", {}, "saelens"))

    w = weights(7)
    write_saelens(out / "saelens-topk-pre6", pre6_cfg("standard", activation_fn_str="topk", activation_fn_kwargs={"k": K}), w)
    fx.append(("saelens-topk-pre6", "saelens-topk-pre6", {}, "saelens"))

    w = weights(8, dec_norm=1.0)
    w["W_dec"] = f32(w["W_dec"] * rng(88).uniform(0.3, 3.0, size=(D_SAE, 1)))  # non-unit rows: rescaling matters
    write_saelens(out / "saelens-topk-rescale", v6_cfg("topk", k=K, rescale_acts_by_decoder_norm=True), w)
    fx.append(("saelens-topk-rescale", "saelens-topk-rescale", {}, "saelens"))

    w = weights(9)
    w["threshold"] = f32(rng(99).uniform(0.0, 0.8, size=D_SAE))
    gdir = out / "gemma-scope-2b-pt-res" / "layer_3" / "width_16k" / "average_l0_20"
    gdir.mkdir(parents=True, exist_ok=True)
    np.savez(gdir / "params.npz", **w)
    fx.append(("gemma-scope", str(gdir.relative_to(out)), {}, "gemma"))

    w = weights(10)
    ldir = out / "llama-scope" / "Llama3_1-8B-Base-L2R-8x"
    (ldir / "checkpoints").mkdir(parents=True, exist_ok=True)
    (ldir / "hyperparams.json").write_text(json.dumps({
        "d_model": D_IN, "d_sae": D_SAE, "hook_point_in": "blocks.2.hook_resid_post", "hook_point_out": "blocks.2.hook_resid_post",
        "act_fn": "jumprelu", "jump_relu_threshold": 0.35, "norm_activation": "dataset-wise",
        "dataset_average_activation_norm": {"in": 9.5, "out": 9.5}, "apply_decoder_bias_to_pre_encoder": False,
        "sparsity_include_decoder_norm": True, "top_k": 50}, indent=1))
    save_file({"encoder.weight": f32(w["W_enc"].T), "encoder.bias": w["b_enc"], "decoder.weight": f32(w["W_dec"].T),
               "decoder.bias": w["b_dec"]}, str(ldir / "checkpoints" / "final.safetensors"))
    fx.append(("llama-scope", str(ldir.relative_to(out)), {}, "llama"))

    def sparsify_dir(d, seed, k):
        w = weights(seed)
        d.mkdir(parents=True, exist_ok=True)
        (d / "cfg.json").write_text(json.dumps({"activation": "topk", "expansion_factor": 2, "normalize_decoder": True,
                                                "num_latents": D_SAE, "k": k, "multi_topk": False, "skip_connection": False,
                                                "transcode": False, "d_in": D_IN}))
        save_file({"encoder.weight": f32(w["W_enc"].T), "encoder.bias": w["b_enc"], "W_dec": w["W_dec"], "b_dec": w["b_dec"]},
                  str(d / "sae.safetensors"))

    sparsify_dir(out / "sparsify-single" / "layers.2", 11, K)
    fx.append(("sparsify-single", "sparsify-single/layers.2", {}, "sparsify"))
    multi = out / "sparsify-multi"
    sparsify_dir(multi / "layers.0", 12, 3)
    sparsify_dir(multi / "layers.1.mlp", 13, K)
    (multi / "config.json").write_text(json.dumps({"model": "fixture", "hookpoints": ["layers.0", "layers.1.mlp"]}))
    fx.append(("sparsify-multi-mlp", "sparsify-multi", {"hookpoint": "layers.1.mlp"}, "sparsify"))
    return fx


def inputs():
    r = rng(2024)
    x = r.normal(size=(ROWS, D_IN)) * 2.0 + r.normal(size=D_IN)
    return f32(x)


def run_saelens_sae(sae, x):
    with torch.no_grad():
        t = torch.from_numpy(x)
        z = sae.encode(t)
        if z.is_sparse:
            z = z.to_dense()
        return f32(z.numpy()), f32(sae.decode(z).numpy())


def sae_from(cfg_dict, state_dict):
    from sae_lens import SAE
    from sae_lens.loading.pretrained_sae_loaders import handle_config_defaulting
    cfg_dict = handle_config_defaulting(cfg_dict)
    sae = SAE.from_dict(cfg_dict)
    sae.process_state_dict_for_loading(state_dict)
    sae.load_state_dict(state_dict)
    return sae


def local_hub(root: Path):
    """hf_hub_download replaced by a local lookup: SAELens's converters then read our files."""
    def fake(repo_id=None, filename=None, subfolder=None, **_):
        p = root / (subfolder or "") / filename
        return str(p)
    return mock.patch("sae_lens.loading.pretrained_sae_loaders.hf_hub_download", side_effect=fake)


def reference(out: Path, rel, opts, how, x):
    import sae_lens.loading.pretrained_sae_loaders as L
    from sae_lens import SAE
    d = out / rel
    if how == "saelens":
        return run_saelens_sae(SAE.load_from_disk(str(d)), x), "SAELens " + sae_version() + " SAE.load_from_disk"
    if how == "saelens5-scaling":
        # SAELens 6 refuses a scaling_factor that is not all ones ("Unexpected key finetuning_scaling_factor");
        # SAELens < 6 decoded (z * finetuning_scaling_factor) @ W_dec + b_dec. Latents: SAELens 6 on the same
        # encoder; reconstruction: that decode, transcribed.
        from safetensors.torch import load_file
        w = load_file(str(d / "sae_weights.safetensors"))
        cfg = json.loads((d / "cfg.json").read_text())
        cfg["finetuning_scaling_factor"] = False
        state = {k: v for k, v in w.items() if k != "scaling_factor"}
        sae = sae_from(cfg, state)
        z, _ = run_saelens_sae(sae, x)
        xh = (torch.from_numpy(z) * w["scaling_factor"]) @ w["W_dec"] + w["b_dec"]
        return (z, f32(xh.numpy())), ("SAELens " + sae_version() + " encode; reconstruction: SAELens 5 decode transcribed "
                                       "((z * scaling_factor) W_dec + b_dec), since SAELens 6 does not load this tensor")
    if how == "gemma":
        root = out / "gemma-scope-2b-pt-res"
        folder = str(d.relative_to(root))
        with local_hub(root):
            cfg, state, _ = L.gemma_2_sae_huggingface_loader("google/gemma-scope-2b-pt-res", folder, device="cpu",
                                                             cfg_overrides={"d_in": D_IN, "d_sae": D_SAE})
        return run_saelens_sae(sae_from(cfg, state), x), "SAELens " + sae_version() + " gemma_2_sae_huggingface_loader"
    if how == "llama":
        root = d.parent
        with local_hub(root):
            cfg, state, _ = L.llama_scope_sae_huggingface_loader("fnlp/Llama3_1-8B-Base-LXR-8x", d.name, device="cpu",
                                                                 cfg_overrides={"dtype": "float32"})
        sae = sae_from(cfg, state)
        hp = json.loads((d / "hyperparams.json").read_text())
        # SAELens's from_pretrained folds this factor (its pretrained_saes.yaml carries it per release).
        sae.fold_activation_norm_scaling_factor(math.sqrt(hp["d_model"]) / hp["dataset_average_activation_norm"]["in"])
        return run_saelens_sae(sae, x), "SAELens " + sae_version() + " llama_scope_sae_huggingface_loader + fold_activation_norm_scaling_factor"
    if how == "sparsify":
        return sparsify_transcription(d / opts.get("hookpoint", ""), x), "sparsify-transcription (SparseCoder.encode/decode)"
    raise ValueError(how)


def sparsify_transcription(d: Path, x):
    """sparsify's SparseCoder: top-k of ReLU((x - b_dec) encoder.weight^T + encoder.bias), decoded z W_dec + b_dec."""
    from safetensors.torch import load_file
    w = load_file(str(d / "sae.safetensors"))
    k = json.loads((d / "cfg.json").read_text())["k"]
    t = torch.from_numpy(x)
    pre = torch.relu((t - w["b_dec"]) @ w["encoder.weight"].T + w["encoder.bias"])
    vals, idx = pre.topk(k, dim=-1, sorted=False)
    z = torch.zeros_like(pre).scatter_(-1, idx, vals)
    return f32(z.numpy()), f32((z @ w["W_dec"] + w["b_dec"]).numpy())


def saelens_on_sparsify(d: Path, x):
    """What SAELens's sparsify_disk_loader computes on the same files (recorded, not the reference)."""
    try:
        import sae_lens.loading.pretrained_sae_loaders as L
        cfg, state = L.sparsify_disk_loader(str(d), device="cpu", cfg_overrides={"dtype": "float32"})
        return run_saelens_sae(sae_from(cfg, state), x)[0], None
    except Exception as e:  # noqa: BLE001 - recorded for people, not used
        return None, f"{type(e).__name__}: {e}"


def sae_version():
    import sae_lens
    return sae_lens.__version__


def write_all(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    fx = make(out)
    x = inputs()
    np.save(out / "inputs.npy", x)
    manifest = []
    for name, rel, opts, how in fx:
        (z, xh), label = reference(out, rel, opts, how, x)
        d = out / rel
        np.save(d / "expected_latents.npy", z)
        np.save(d / "expected_reconstruction.npy", xh)
        lines = [f"reference: {label}", f"active latents per row: {[int(c) for c in (z > 0).sum(axis=1)]}"]
        if how == "sparsify":
            zs, err = saelens_on_sparsify(d / opts.get("hookpoint", ""), x)
            if err:
                lines.append(f"SAELens sparsify_disk_loader on these files: {err}")
            else:
                lines.append("SAELens sparsify_disk_loader on these files: max |z - reference| = "
                             f"{float(np.abs(zs - z).max()):.3g} (it sets apply_b_dec_to_input = not normalize_decoder)")
        (d / "reference.txt").write_text("\n".join(lines) + "\n")
        manifest.append({"name": name, "path": rel, "options": opts, "reference": label})
    (out / "fixtures.json").write_text(json.dumps({"inputs": "inputs.npy", "fixtures": manifest}, indent=1) + "\n")
    print(f"{len(manifest)} fixtures written to {out}")


def check(dirs):
    """SAELens loads SAEs latentwatch saved and must encode to the latents latentwatch computed."""
    from sae_lens import SAE
    worst = 0.0
    for d in map(Path, dirs):
        x = np.load(d / "inputs.npy")
        want = np.load(d / "latentwatch_latents.npy")
        sae = SAE.load_from_disk(str(d))
        z, _ = run_saelens_sae(sae, x)
        err = float(np.abs(z - want).max() / max(1.0, float(np.abs(want).max())))
        worst = max(worst, err)
        print(f"{d.name}: SAELens {type(sae).__name__} max relative difference {err:.3g}")
        if err > 1e-5:
            print(f"MISMATCH {d}", file=sys.stderr)
            return 1
    print(f"all {len(dirs)} agree (worst {worst:.3g})")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--check", nargs="+", metavar="DIR")
    a = ap.parse_args()
    if a.check:
        sys.exit(check(a.check))
    write_all(a.out)
