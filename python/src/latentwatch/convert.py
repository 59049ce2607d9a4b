"""Converts a llama2.c checkpoint (``.bin`` + ``tokenizer.bin``) to a Hugging Face Llama directory.

``python -m latentwatch.convert stories260K.bin tok512.bin OUT_DIR`` writes ``config.json``,
``generation_config.json``, ``model.safetensors`` (float32) and ``tokenizer.json`` that
``AutoModelForCausalLM`` / ``AutoTokenizer`` load.

The layouts (see ``../shared/models/stories260K/README.md``): a header of 7 int32 (dim, hidden_dim,
n_layers, n_heads, n_kv_heads, vocab_size, seq_len; negative vocab_size: an unshared classifier
follows), then float32 tensors stored [out, in] as ``nn.Linear`` wants them. llama2.c rotates
adjacent pairs (2j, 2j+1) of each head by RoPE while HF Llama rotates halves (j, j + d_head/2), so the
rows of W_q and W_k are permuted per head: new row j <- old row 2j, new row d_head/2 + j <- old 2j+1
(the permutation of HF's ``convert_llama_weights_to_hf.py``, and of the Java ``Llama2cLoader``).

The tokenizer becomes a byte-fallback BPE whose merges are ranked by the llama2.c scores: llama2.c
merges the adjacent pair whose concatenation has the highest score, which is BPE with merges
ordered by that score. A dummy-prefix space is prepended, BOS added, and the decoder drops the
leading space, as ``run.c`` does.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np


def read_checkpoint(path: Path) -> tuple[dict[str, int | bool], dict[str, np.ndarray]]:
    raw = path.read_bytes()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack("<7i", raw[:28])
    if struct.unpack("<I", raw[:4])[0] == 0x616B3432:
        raise ValueError(
            f"{path}: llama2.c v1/v2 (ak42) checkpoints are not supported here; export the legacy v0 layout"
        )
    shared = vocab > 0
    vocab = abs(vocab)
    if min(dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len) <= 0 or dim % n_heads:
        raise ValueError(
            f"{path}: not a llama2.c v0 checkpoint (header {dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len})"
        )
    dh = dim // n_heads
    kv = n_kv * dh
    data = np.frombuffer(raw, dtype="<f4", offset=28)
    pos = 0

    def take(*shape: int) -> np.ndarray:
        nonlocal pos
        n = int(np.prod(shape))
        if pos + n > data.size:
            raise ValueError(f"{path}: truncated (needs {n} more floats at offset {pos})")
        out = data[pos : pos + n].reshape(shape).astype(np.float32)
        pos += n
        return out

    w = {
        "emb": take(vocab, dim),
        "rms_att": take(n_layers, dim),
        "wq": take(n_layers, dim, dim),
        "wk": take(n_layers, kv, dim),
        "wv": take(n_layers, kv, dim),
        "wo": take(n_layers, dim, dim),
        "rms_ffn": take(n_layers, dim),
        "w1": take(n_layers, hidden, dim),
        "w2": take(n_layers, dim, hidden),
        "w3": take(n_layers, hidden, dim),
        "rms_final": take(dim),
    }
    take(seq_len, dh // 2)  # freq_cis_real, unused: RoPE is computed
    take(seq_len, dh // 2)  # freq_cis_imag
    if not shared:
        w["wcls"] = take(vocab, dim)
    if pos != data.size:
        raise ValueError(
            f"{path}: {data.size - pos} floats left after the last tensor: the header does not describe this file"
        )
    cfg = dict(
        dim=dim,
        hidden=hidden,
        n_layers=n_layers,
        n_heads=n_heads,
        n_kv=n_kv,
        vocab=vocab,
        seq_len=seq_len,
        shared=shared,
    )
    return cfg, w


def adjacent_to_rotate_half(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Rows of a q/k projection [n_heads * d_head, in] from adjacent-pair to rotate-half RoPE order."""
    out_dim, in_dim = w.shape
    dh = out_dim // n_heads
    return w.reshape(n_heads, dh // 2, 2, in_dim).transpose(0, 2, 1, 3).reshape(out_dim, in_dim).copy()


def read_tokenizer(path: Path, vocab: int) -> tuple[list[bytes], list[float]]:
    raw = path.read_bytes()
    off = 4
    pieces, scores = [], []
    for _ in range(vocab):
        score, n = struct.unpack_from("<fi", raw, off)
        off += 8
        pieces.append(raw[off : off + n])
        scores.append(score)
        off += n
    return pieces, scores


def tokenizer_json(pieces: list[bytes], scores: list[float]) -> dict[str, object]:
    """A tokenizers BPE equivalent to llama2.c's score-ranked merging (see the module doc)."""
    names: list[str] = []
    for i, p in enumerate(pieces):
        if i == 0:
            names.append("<unk>")
        elif i == 1:
            names.append("<s>")
        elif i == 2:
            names.append("</s>")
        elif 3 <= i < 259:
            names.append(f"<0x{i - 3:02X}>")
        else:
            names.append(p.decode("utf-8", errors="replace"))
    vocab = {n: i for i, n in enumerate(names) if n not in ()}
    merges: list[tuple[float, int, str, str]] = []
    for i, t in enumerate(names):
        if i < 259 or len(t) < 2:
            continue
        for cut in range(1, len(t)):
            a, b = t[:cut], t[cut:]
            if a in vocab and b in vocab and vocab[a] >= 259 and vocab[b] >= 259:
                merges.append((-scores[i], i, a, b))
    merges.sort()
    specials = [
        {
            "id": i,
            "content": n,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for i, n in enumerate(names[:3])
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": specials,
        "normalizer": {"type": "Prepend", "prepend": " "},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
            ],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": "<unk>",
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [[a, b] for _, _, a, b in merges],
        },
    }


def convert(checkpoint: Path, tokenizer: Path, out: Path) -> Path:
    from safetensors.numpy import save_file

    cfg, w = read_checkpoint(checkpoint)
    n_layers, n_heads, n_kv = int(cfg["n_layers"]), int(cfg["n_heads"]), int(cfg["n_kv"])
    t: dict[str, np.ndarray] = {"model.embed_tokens.weight": w["emb"], "model.norm.weight": w["rms_final"]}
    for layer in range(n_layers):
        p = f"model.layers.{layer}."
        t[p + "input_layernorm.weight"] = w["rms_att"][layer]
        t[p + "post_attention_layernorm.weight"] = w["rms_ffn"][layer]
        t[p + "self_attn.q_proj.weight"] = adjacent_to_rotate_half(w["wq"][layer], n_heads)
        t[p + "self_attn.k_proj.weight"] = adjacent_to_rotate_half(w["wk"][layer], n_kv)
        t[p + "self_attn.v_proj.weight"] = w["wv"][layer]
        t[p + "self_attn.o_proj.weight"] = w["wo"][layer]
        t[p + "mlp.gate_proj.weight"] = w["w1"][layer]
        t[p + "mlp.down_proj.weight"] = w["w2"][layer]
        t[p + "mlp.up_proj.weight"] = w["w3"][layer]
    if not cfg["shared"]:
        t["lm_head.weight"] = w["wcls"]
    out.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: np.ascontiguousarray(v) for k, v in t.items()}, str(out / "model.safetensors"), metadata={"format": "pt"}
    )
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg["dim"],
        "intermediate_size": cfg["hidden"],
        "num_hidden_layers": n_layers,
        "num_attention_heads": n_heads,
        "num_key_value_heads": n_kv,
        "head_dim": int(cfg["dim"]) // n_heads,
        "vocab_size": cfg["vocab"],
        "max_position_embeddings": cfg["seq_len"],
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": bool(cfg["shared"]),
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "generation_config.json").write_text(json.dumps({"bos_token_id": 1, "eos_token_id": 2, "do_sample": False}))
    pieces, scores = read_tokenizer(tokenizer, int(cfg["vocab"]))
    (out / "tokenizer.json").write_text(json.dumps(tokenizer_json(pieces, scores), ensure_ascii=False))
    (out / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "bos_token": "<s>",
                "eos_token": "</s>",
                "unk_token": "<unk>",
                "add_bos_token": True,
                "model_max_length": cfg["seq_len"],
            }
        )
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m latentwatch.convert",
        description="Convert a llama2.c checkpoint (legacy v0 .bin) and its tokenizer.bin into a Hugging Face "
        "Llama directory (config.json, model.safetensors, tokenizer.json) that transformers loads.",
        epilog="Example: python -m latentwatch.convert ../shared/models/stories260K/stories260K.bin "
        "../shared/models/stories260K/tok512.bin /tmp/stories260K-hf",
    )
    ap.add_argument("checkpoint", type=Path, help="llama2.c .bin (v0 layout)")
    ap.add_argument("tokenizer", type=Path, help="llama2.c tokenizer.bin")
    ap.add_argument("out", type=Path, help="output directory (created)")
    a = ap.parse_args(argv)
    try:
        d = convert(a.checkpoint, a.tokenizer, a.out)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
