"""Hidden states of a Hugging Face transformers causal LM, by TransformerLens hook names.

Supported hooks, for ``L`` in ``0 .. n_layers-1``:

==============================  ==========================================  ===================
hook                            what (TransformerLens's meaning)            shape
==============================  ==========================================  ===================
``blocks.L.hook_resid_pre``     the residual stream entering block L        ``[d_model]``
``blocks.L.hook_resid_mid``     after the attention sublayer was added      ``[d_model]``
``blocks.L.hook_resid_post``    leaving block L                             ``[d_model]``
``blocks.L.hook_attn_out``      what attention adds to the residual         ``[d_model]``
``blocks.L.hook_mlp_out``       what the MLP adds to the residual           ``[d_model]``
``blocks.L.attn.hook_z``        each head's mixed values, before W_O        ``[n_heads, d_head]``
``blocks.L.attn.hook_result``   each head's output z_h W_O[h] (no bias)     ``[n_heads, d_model]``
==============================  ==========================================  ===================

They are read with PyTorch module hooks, not from ``output_hidden_states`` (whose entry 0 is the
embedding and whose last entry is, for several families, already after the final norm). Families:
Llama, Mistral, Qwen2/Qwen3, Gemma (1, 2, 3: ``attn_out``/``mlp_out`` are taken after Gemma 2's
post-sublayer norms, i.e. what is added to the residual) and GPT-2.

During ``generate()`` with the KV cache (the default) the hooks fire once on the prompt (prefill,
positions 0..P-1) and once per generated token; only the rows the position policy may publish are
copied out (``last``: the newest row; ``random-k``: rows entering the reservoir; ``all``: every
row). Batch size 1 per capture (one request, one ``request_id``); ``use_cache=False`` is refused
because positions could not be told apart. Hooks are removed when the capture ends, also when
generation raises.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .encoding import Dtype, activation
from .sampling import Positions, Reservoir, SamplingPolicy

HOOK = re.compile(
    r"blocks\.(\d+)\.(hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out|attn\.hook_z|attn\.hook_result)"
)
SUPPORTED = (
    "blocks.L.hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out|attn.hook_z|attn.hook_result"
)


@dataclass(frozen=True)
class Layout:
    """Where a family keeps the pieces the hooks read."""

    layers: Sequence[Any]
    n_heads: int
    d_head: int
    d_model: int
    # Module attributes are looked up by name (nn.Module.__getattr__), hence Any.
    attn_out: Callable[[Any], Any]  # module whose output is added to the residual by attention
    mlp_out: Callable[[Any], Any]
    resid_mid: Callable[[Any], Any]  # module whose input is resid_mid
    o_proj: Callable[[Any], Any]  # module whose input is z (heads merged)
    w_o: Callable[[Any], torch.Tensor]  # [n_heads, d_head, d_model]


def layout(model: Any) -> Layout:
    """The layout of a supported causal LM; a clear error for others."""
    cfg = model.config
    kind = getattr(cfg, "model_type", "?")
    if kind == "gpt2":
        h = model.transformer.h  # type: ignore[union-attr]
        n_heads, d_model = cfg.n_head, cfg.n_embd
        d_head = d_model // n_heads

        def w_o_gpt2(layer: Any) -> torch.Tensor:
            return layer.attn.c_proj.weight.reshape(n_heads, d_head, d_model)  # Conv1D: [in, out]

        return Layout(
            h,
            n_heads,
            d_head,
            d_model,
            lambda b: b.attn,
            lambda b: b.mlp,
            lambda b: b.ln_2,
            lambda b: b.attn.c_proj,
            w_o_gpt2,
        )
    base = getattr(model, "model", None)
    layers = getattr(base, "layers", None)
    if layers is None or not hasattr(layers[0], "self_attn"):
        raise ValueError(
            f"model type '{kind}' is not supported: latentwatch.hf knows Llama-style decoders "
            "(llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text) and gpt2"
        )
    n_heads = cfg.num_attention_heads
    d_model = cfg.hidden_size
    d_head = getattr(cfg, "head_dim", None) or d_model // n_heads
    # Gemma 2/3 normalise each sublayer's output before adding it (post_attention_layernorm,
    # post_feedforward_layernorm) and norm before the MLP with pre_feedforward_layernorm.
    sandwich = hasattr(layers[0], "pre_feedforward_layernorm")

    def w_o(layer: Any) -> torch.Tensor:
        return layer.self_attn.o_proj.weight.T.reshape(n_heads, d_head, d_model)  # Linear: [out, in]

    return Layout(
        layers,
        n_heads,
        d_head,
        d_model,
        (lambda b: b.post_attention_layernorm) if sandwich else (lambda b: b.self_attn),
        (lambda b: b.post_feedforward_layernorm) if sandwich else (lambda b: b.mlp),
        (lambda b: b.pre_feedforward_layernorm) if sandwich else (lambda b: b.post_attention_layernorm),
        lambda b: b.self_attn.o_proj,
        w_o,
    )


def check_hook(lay: Layout, hook: str) -> tuple[int, str]:
    m = HOOK.fullmatch(hook)
    if not m:
        raise ValueError(f"hook '{hook}' is not one latentwatch.hf can read; use {SUPPORTED}")
    layer = int(m.group(1))
    if layer >= len(lay.layers):
        raise ValueError(f"hook '{hook}': the model has {len(lay.layers)} blocks (0..{len(lay.layers) - 1})")
    return layer, m.group(2)


def _tensor(x: Any) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else x[0]


class _HookRows:
    """Rows kept for one hook: absolute position -> float32 row."""

    def __init__(self, policy: Positions, k: int, seed: int, prompt_end: bool) -> None:
        self.policy = policy
        self.prompt_end = prompt_end
        self.rows: dict[int, np.ndarray] = {}
        self.seen = 0  # positions that went through this hook so far
        self.calls = 0
        self.reservoir = Reservoir(k, seed) if policy is Positions.RANDOM_K else None

    def take(self, act: torch.Tensor, shape: tuple[int, ...]) -> None:
        if act.shape[0] != 1:
            raise ValueError(f"latentwatch.hf captures one sequence per request; got a batch of {act.shape[0]}")
        t = act.shape[1]
        offset = self.seen
        self.seen += t
        self.calls += 1
        if self.calls > 1 and t > 1:
            raise ValueError("a forward pass after the prefill covered several positions: generate with use_cache=True")

        def row(i: int) -> np.ndarray:
            return act[0, i].detach().to(torch.float32).reshape(shape).cpu().numpy().copy()

        if self.prompt_end:
            if self.calls == 1:
                self.rows[offset + t - 1] = row(t - 1)
            return
        if self.policy is Positions.LAST:
            self.rows = {offset + t - 1: row(t - 1)}
        elif self.policy is Positions.ALL:
            block = act[0].detach().to(torch.float32).reshape(t, *shape).cpu().numpy().copy()
            for i in range(t):
                self.rows[offset + i] = block[i]
        else:
            assert self.reservoir is not None
            for i in range(t):
                kept, victim = self.reservoir.offer(offset + i)
                if kept:
                    if victim is not None:
                        del self.rows[victim]
                    self.rows[offset + i] = row(i)


class Capture:
    """The sampled hooks of ONE generation: install with :meth:`attach`, read with :meth:`rows`."""

    def __init__(
        self,
        model: Any,
        hooks: Iterable[str],
        policy: Positions | str = Positions.LAST,
        k: int = 1,
        seed: int = 0,
        at_prompt_end: Iterable[str] = (),
    ) -> None:
        self.model = model
        self.layout = layout(model)
        self.hooks = list(dict.fromkeys(hooks))
        if not self.hooks:
            raise ValueError("a capture needs at least one hook")
        pol = policy if isinstance(policy, Positions) else Positions.parse(policy)
        ends = set(at_prompt_end)
        self._rows = {h: _HookRows(pol, k, seed, h in ends) for h in self.hooks}
        self._handles: list[Any] = []
        self.capture_ns = 0  # time spent in the hooks, on the generation thread
        for h in self.hooks:
            check_hook(self.layout, h)

    def _install(self, hook: str) -> None:
        layer_idx, kind = check_hook(self.layout, hook)
        lay = self.layout
        block = lay.layers[layer_idx]
        rows = self._rows[hook]
        d = (lay.d_model,)

        def timed(fn: Callable[[], None]) -> None:
            t0 = time.perf_counter_ns()
            fn()
            self.capture_ns += time.perf_counter_ns() - t0

        def pre(shape: tuple[int, ...]) -> Callable[..., None]:
            def hook_fn(_m: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
                x = args[0] if args else kwargs["hidden_states"]
                timed(lambda: rows.take(x, shape))

            return hook_fn

        def post(_m: nn.Module, _args: tuple[Any, ...], out: Any) -> None:
            timed(lambda: rows.take(_tensor(out), d))

        if kind == "hook_resid_pre":
            h = block.register_forward_pre_hook(pre(d), with_kwargs=True)
        elif kind == "hook_resid_post":
            h = block.register_forward_hook(post)
        elif kind == "hook_resid_mid":
            h = lay.resid_mid(block).register_forward_pre_hook(pre(d), with_kwargs=True)
        elif kind == "hook_attn_out":
            h = lay.attn_out(block).register_forward_hook(post)
        elif kind == "hook_mlp_out":
            h = lay.mlp_out(block).register_forward_hook(post)
        else:  # attn.hook_z / attn.hook_result: the input of W_O, heads merged
            h = lay.o_proj(block).register_forward_pre_hook(pre((lay.n_heads, lay.d_head)), with_kwargs=True)
        self._handles.append(h)

    @contextmanager
    def attach(self) -> Iterator[Capture]:
        """Hooks installed for the ``with`` block, removed on exit whatever happens."""
        try:
            for h in self.hooks:
                self._install(h)
            yield self
        finally:
            for h in self._handles:
                h.remove()
            self._handles.clear()

    def rows(self, valid_length: int) -> list[tuple[str, int, np.ndarray]]:
        """(hook, position, values) for positions below ``valid_length``, hook by hook, positions ascending.
        ``attn.hook_result`` rows are projected here, for the kept rows only."""
        out = []
        for hook, r in self._rows.items():
            layer_idx, kind = check_hook(self.layout, hook)
            w_o = None
            if kind == "attn.hook_result":
                w_o = self.layout.w_o(self.layout.layers[layer_idx]).detach().to(torch.float32).cpu().numpy()
            for pos in sorted(r.rows):
                if pos < valid_length:
                    v = r.rows[pos]
                    out.append((hook, pos, np.einsum("hd,hdm->hm", v, w_o) if w_o is not None else v))
        return out


def weights_hash(model: Any) -> str:
    """SHA-256 (hex) of the model's safetensors files (sorted by name) when loaded from a directory,
    else of its parameters' bytes: the ``modelVersion`` naming exactly these weights."""
    path = Path(str(getattr(model.config, "_name_or_path", "")))
    files = sorted(path.glob("*.safetensors")) if path.is_dir() else []
    h = hashlib.sha256()
    if files:
        for f in files:
            with f.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    else:
        for name, p in model.state_dict().items():
            h.update(name.encode())
            h.update(p.detach().to(torch.float32).cpu().numpy().tobytes())
    return h.hexdigest()


class Watcher:
    """Generation with sampling: decides per request, captures, builds and publishes the sample.

    :param publisher: anything with ``publish(sample) -> bool`` (a :class:`latentwatch.Publisher`)
    :param at_prompt_end: hooks published at the prompt's last position only, whatever the policy
    """

    def __init__(
        self,
        model: Any,
        publisher: Any,
        policy: SamplingPolicy,
        hooks: Iterable[str] | None = None,
        model_id: str | None = None,
        node_id: str = "python-node",
        dtype: Dtype | str = Dtype.F16,
        model_version: str | None = None,
        token_text: Callable[[int], str] | None = None,
        at_prompt_end: Iterable[str] = (),
    ) -> None:
        self.model = model
        self.publisher = publisher
        self.policy = policy
        self.hooks = list(hooks) if hooks is not None else sorted(policy.hooks)
        if not self.hooks:
            raise ValueError("name the hooks to sample (e.g. blocks.1.hook_resid_post)")
        lay = layout(model)
        for h in self.hooks:
            check_hook(lay, h)
        self.model_id = model_id or Path(str(getattr(model.config, "_name_or_path", "model"))).name
        self.model_version = model_version or weights_hash(model)
        self.node_id = node_id
        self.dtype = Dtype(dtype)
        self.token_text = token_text
        self.at_prompt_end = set(at_prompt_end)
        self.sampled = 0
        self.enqueued = 0
        self.capture_ns = 0  # capture hooks, during generation
        self.sampling_ns = 0  # capture + building and enqueueing the sample (request thread)
        self._seeds = 0

    def generate(
        self,
        input_ids: torch.Tensor,
        request_id: str | None = None,
        scenario: str | None = None,
        **generate_kwargs: Any,
    ) -> torch.Tensor:
        """``model.generate(input_ids, **generate_kwargs)``; a sampled request also publishes its sample.
        Returns the sequences (prompt + generated) as ``generate`` does."""
        if generate_kwargs.get("use_cache") is False:
            raise ValueError("generate with use_cache=True (the default) so positions can be told apart")
        request_id = request_id or str(uuid.uuid4())
        if not self.policy.sample_request():
            return self.model.generate(input_ids, **generate_kwargs)
        self._seeds += 1
        capture = Capture(
            self.model,
            self.hooks,
            self.policy.positions_policy,
            self.policy.k,
            self.policy.seed ^ 0x5DEECE66D ^ self._seeds,
            self.at_prompt_end,
        )
        with capture.attach():
            out = self.model.generate(input_ids, **generate_kwargs)
        t0 = time.perf_counter_ns()
        seq = out.sequences if hasattr(out, "sequences") else out
        tokens = [int(t) for t in seq[0].tolist()]
        prompt_len = int(input_ids.shape[-1])
        sample = self.sample(capture, tokens, prompt_len, request_id, scenario, generate_kwargs)
        self.sampled += 1
        if sample is not None and self.publisher.publish(sample):
            self.enqueued += 1
        self.capture_ns += capture.capture_ns
        self.sampling_ns += capture.capture_ns + time.perf_counter_ns() - t0
        return out

    def sample(
        self,
        capture: Capture,
        tokens: list[int],
        prompt_len: int,
        request_id: str,
        scenario: str | None = None,
        generate_kwargs: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """The ``HiddenStateSample`` of a finished generation (None when no row was captured)."""
        # Positions with activations: every token that went through a forward pass (not the last generated one).
        valid = len(tokens) - (1 if len(tokens) > prompt_len else 0)
        rows = capture.rows(valid)
        if not rows:
            return None
        g = generate_kwargs or {}
        do_sample = bool(g.get("do_sample", getattr(self.model.generation_config, "do_sample", False)))
        meta = self.policy.metadata()
        meta.update(
            temperature=float(g.get("temperature", 1.0)) if do_sample else 0.0,
            topK=int(g["top_k"]) if do_sample and g.get("top_k") is not None else None,
            topP=float(g["top_p"]) if do_sample and g.get("top_p") is not None else None,
            seed=None,
            scenario=scenario,
        )
        return {
            "modelId": self.model_id,
            "modelVersion": self.model_version,
            "nodeId": self.node_id,
            "requestId": request_id,
            "timestampMs": int(time.time() * 1000),
            "tokenIds": tokens,
            "tokenText": [self.token_text(t) for t in tokens] if self.token_text else None,
            "sampling": meta,
            "activations": [activation(h, p, v, self.dtype) for h, p, v in rows],
        }
