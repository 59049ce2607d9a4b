"""latentwatch.hf on small randomly initialised models of each family (configs built here, no hub).

References: transformers' own ``output_hidden_states`` for the residual stream (entry L is block L's
input), the residual identities resid_mid = resid_pre + attn_out and resid_post = resid_mid +
mlp_out, and the per-head outputs summing to the attention output; rows captured during cached
generation equal a fresh uncached forward pass over the final tokens.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from latentwatch import SamplingPolicy, decode  # noqa: E402
from latentwatch.hf import Capture, Watcher, layout  # noqa: E402

SMALL = dict(
    vocab_size=97,
    hidden_size=32,
    intermediate_size=48,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
)


def make(family: str) -> torch.nn.Module:
    torch.manual_seed(0)
    if family == "gpt2":
        cfg = transformers.GPT2Config(vocab_size=97, n_embd=32, n_layer=3, n_head=4, n_positions=64)
    elif family == "gemma2":
        cfg = transformers.Gemma2Config(**SMALL, head_dim=8)
    else:
        cls = {
            "llama": transformers.LlamaConfig,
            "mistral": transformers.MistralConfig,
            "qwen2": transformers.Qwen2Config,
            "gemma": transformers.GemmaConfig,
        }[family]
        extra = {"head_dim": 8} if family == "gemma" else {}
        cfg = cls(**SMALL, **extra)
    model = transformers.AutoModelForCausalLM.from_config(cfg).eval()
    return model


FAMILIES = ["llama", "mistral", "qwen2", "gemma", "gemma2", "gpt2"]
KINDS = [
    "hook_resid_pre",
    "hook_resid_mid",
    "hook_resid_post",
    "hook_attn_out",
    "hook_mlp_out",
    "attn.hook_z",
    "attn.hook_result",
]


def rows_by(capture: Capture, valid: int) -> dict[tuple[str, int], np.ndarray]:
    return {(h, p): v for h, p, v in capture.rows(valid)}


@pytest.mark.parametrize("family", FAMILIES)
def test_hooks_match_transformers_and_the_residual_identities(family: str) -> None:
    model = make(family)
    lay = layout(model)
    ids = torch.tensor([[5, 17, 3, 44, 9, 2]])
    hooks = [f"blocks.{layer}.{kind}" for layer in range(3) for kind in KINDS]
    cap = Capture(model, hooks, "all")
    with torch.no_grad(), cap.attach():
        ref = model(ids, output_hidden_states=True)
    r = rows_by(cap, ids.shape[1])
    hs = [h[0].numpy() for h in ref.hidden_states]
    for layer in range(3):
        for p in range(ids.shape[1]):

            def g(kind: str, layer: int = layer, p: int = p) -> np.ndarray:
                return r[(f"blocks.{layer}.{kind}", p)]

            np.testing.assert_allclose(g("hook_resid_pre"), hs[layer][p], atol=1e-5)
            if layer < 2:  # the last entry may be after the final norm
                np.testing.assert_allclose(g("hook_resid_post"), hs[layer + 1][p], atol=1e-5)
            np.testing.assert_allclose(g("hook_resid_mid"), g("hook_resid_pre") + g("hook_attn_out"), atol=1e-5)
            np.testing.assert_allclose(g("hook_resid_post"), g("hook_resid_mid") + g("hook_mlp_out"), atol=1e-5)
            assert g("attn.hook_z").shape == (lay.n_heads, lay.d_head)
            assert g("attn.hook_result").shape == (lay.n_heads, lay.d_model)
            if family != "gemma2":  # Gemma 2 normalises the attention output before adding it
                bias = model.transformer.h[layer].attn.c_proj.bias.detach().numpy() if family == "gpt2" else 0
                np.testing.assert_allclose(g("attn.hook_result").sum(0) + bias, g("hook_attn_out"), atol=1e-5)


@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_rows_captured_during_generate_equal_an_uncached_forward(family: str) -> None:
    model = make(family)
    ids = torch.tensor([[1, 7, 33, 8]])
    hooks = ["blocks.1.hook_resid_post", "blocks.2.attn.hook_z"]
    cap = Capture(model, hooks, "all")
    with torch.no_grad(), cap.attach():
        out = model.generate(ids, max_new_tokens=6, do_sample=False, pad_token_id=0)
    tokens = out[0]
    valid = len(tokens) - 1
    r = rows_by(cap, valid)
    assert sorted({p for _, p in r}) == list(range(valid)), "prefill and every decode step, positions absolute"
    ref = Capture(model, hooks, "all")
    with torch.no_grad(), ref.attach():
        model(tokens[None, :valid], use_cache=False)
    for key, v in rows_by(ref, valid).items():
        np.testing.assert_allclose(r[key], v, atol=1e-4, err_msg=str(key))


def test_last_and_random_k_copy_only_what_may_be_published() -> None:
    model = make("llama")
    ids = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8]])
    last = Capture(model, ["blocks.0.hook_resid_post"], "last")
    rk = Capture(model, ["blocks.0.hook_resid_post", "blocks.2.hook_resid_pre"], "random-k", k=3, seed=4)
    with torch.no_grad(), last.attach(), rk.attach():
        out = model.generate(ids, max_new_tokens=5, do_sample=False, pad_token_id=0)
    valid = out.shape[1] - 1
    assert [p for _, p, _ in last.rows(valid)] == [valid - 1]
    kept = rk.rows(valid)
    a = [p for h, p, _ in kept if h == "blocks.0.hook_resid_post"]
    b = [p for h, p, _ in kept if h == "blocks.2.hook_resid_pre"]
    assert len(a) == 3 and a == b, "every hook of a sample keeps the same positions"


def test_hooks_are_removed_when_generation_raises() -> None:
    model = make("llama")
    calls = {"n": 0}

    def boom(*_: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("generation failed")

    h = model.model.norm.register_forward_hook(boom)
    cap = Capture(model, ["blocks.0.hook_resid_pre", "blocks.1.attn.hook_z", "blocks.2.hook_mlp_out"], "last")
    with pytest.raises(RuntimeError, match="generation failed"), torch.no_grad(), cap.attach():
        model.generate(torch.tensor([[1, 2, 3]]), max_new_tokens=5, do_sample=False, pad_token_id=0)
    h.remove()
    left = [m for m in model.modules() if m._forward_hooks or m._forward_pre_hooks]
    assert left == [], left


def test_unknown_hooks_and_layers_are_refused_with_the_supported_names() -> None:
    model = make("gpt2")
    with pytest.raises(ValueError, match="blocks.L.hook_resid_pre"):
        Capture(model, ["blocks.0.attn.hook_pattern"])
    with pytest.raises(ValueError, match="has 3 blocks"):
        Capture(model, ["blocks.3.hook_resid_post"])


class Collect:
    def __init__(self) -> None:
        self.samples: list[dict] = []

    def publish(self, s: dict) -> bool:
        self.samples.append(s)
        return True


def test_watcher_publishes_one_sample_per_sampled_request() -> None:
    model = make("qwen2")
    sink = Collect()
    w = Watcher(
        model,
        sink,
        SamplingPolicy(["blocks.1.hook_resid_post", "blocks.0.attn.hook_result"], sample_rate=0.5, seed=11),
        model_id="tiny-qwen2",
    )
    for i in range(8):
        w.generate(torch.tensor([[3, 4, 5]]), request_id=f"r{i}", max_new_tokens=3, do_sample=False, pad_token_id=0)
    # java.util.Random(11).nextDouble() < 0.5 for the first 8 requests: the shared vectors' decisions.
    assert [s["requestId"] for s in sink.samples] == ["r1", "r3", "r4", "r5", "r6"]
    s = sink.samples[0]
    assert s["modelId"] == "tiny-qwen2" and len(s["modelVersion"]) == 64
    assert s["sampling"]["positionPolicy"] == "last" and s["sampling"]["temperature"] == 0.0
    assert len(s["tokenIds"]) == 6
    acts = {a["hook"]: a for a in s["activations"]}
    assert acts["blocks.1.hook_resid_post"]["position"] == 4 and acts["blocks.1.hook_resid_post"]["shape"] == [32]
    assert acts["blocks.0.attn.hook_result"]["shape"] == [4, 32]
    assert np.isfinite(decode(acts["blocks.1.hook_resid_post"]["data"], "F16")).all()
    assert w.capture_ns > 0 and w.sampling_ns >= w.capture_ns
