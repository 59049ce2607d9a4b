"""Overhead of sampling one hook on every request, measured directly.

    python benchmarks/overhead.py --model HF_DIR [--hook blocks.1.hook_resid_post] [--requests 30]

For each request, ``generate()`` runs twice, interleaved (plain, then with a :class:`Watcher` sampling
one hook at the last position on every request), so machine noise hits both alike. Reported:

* plain and sampled generation time (their difference is noisy on a shared machine);
* capture time: the hooks' time inside ``generate()`` on the request thread (measured by the hooks);
* sampling time on the request thread: capture + building and enqueueing the sample;
* serializer CPU: the thread CPU time of turning those samples into Confluent-framed Avro with
  fastavro, the library Confluent's ``AvroSerializer`` calls (off the request thread, on the
  publisher's sender thread in production). With ``--bootstrap-servers`` and ``--registry`` the
  samples go through a real :class:`Publisher` instead and its sender thread's CPU time is reported.

The target is a request-thread sampling cost under 2% of generation time.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import struct
import time
from pathlib import Path
from typing import Any

import fastavro
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

from latentwatch import Publisher, SamplingPolicy, producer_defaults, schema_text
from latentwatch.hf import Watcher


class Keep:
    """Collects samples (stands in for the queue hand-off when no broker is given)."""

    def __init__(self) -> None:
        self.samples: list[dict[str, Any]] = []

    def publish(self, s: dict[str, Any]) -> bool:
        self.samples.append(s)
        return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="HF directory (e.g. from python -m latentwatch.convert)")
    ap.add_argument("--random-llama", metavar="D_MODEL,LAYERS", help="a randomly initialised Llama instead")
    ap.add_argument("--hook", default="blocks.1.hook_resid_post")
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=32)
    ap.add_argument("--bootstrap-servers")
    ap.add_argument("--registry")
    a = ap.parse_args()
    torch.manual_seed(0)
    if a.random_llama:
        d, layers = (int(x) for x in a.random_llama.split(","))
        model = LlamaForCausalLM(
            LlamaConfig(
                hidden_size=d,
                intermediate_size=4 * d,
                num_hidden_layers=layers,
                num_attention_heads=max(1, d // 64),
                vocab_size=32000,
                max_position_embeddings=2048,
            )
        ).eval()
        name = f"random-llama d={d} L={layers}"
    else:
        model = AutoModelForCausalLM.from_pretrained(str(a.model)).eval()
        name = a.model.name
    vocab = model.config.vocab_size
    pub = Publisher(producer_defaults(a.bootstrap_servers), a.registry) if a.bootstrap_servers else None
    sink: Any = pub if pub is not None else Keep()
    w = Watcher(model, sink, SamplingPolicy([a.hook]), model_id=name, model_version="0" * 64)
    g = dict(max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, do_sample=False, pad_token_id=0)
    plain, sampled = [], []
    with torch.no_grad():
        ids = torch.randint(3, vocab, (1, a.prompt_tokens))
        model.generate(ids, **g)  # warm-up
        w.generate(ids, **g)
        w.capture_ns = w.sampling_ns = 0
        if isinstance(sink, Keep):
            sink.samples.clear()
        for i in range(a.requests):
            ids = torch.randint(3, vocab, (1, a.prompt_tokens))
            # Alternate which one runs first, so drifts in machine speed do not favour either.
            for first in (i % 2 == 0, i % 2 != 0):
                t0 = time.perf_counter_ns()
                if first:
                    model.generate(ids, **g)
                    plain.append(time.perf_counter_ns() - t0)
                else:
                    w.generate(ids, **g)
                    sampled.append(time.perf_counter_ns() - t0)
    if pub is not None:
        pub.flush(30)
        ser_cpu = pub.stats().sender_cpu_seconds
        pub.close()
    else:
        schema = fastavro.parse_schema(json.loads(schema_text("hidden-states")))
        c0 = time.thread_time_ns()
        for s in sink.samples:
            out = io.BytesIO()
            out.write(b"\x00" + struct.pack(">I", 1))
            fastavro.schemaless_writer(out, schema, s)
        ser_cpu = (time.thread_time_ns() - c0) / 1e9
    total_plain = sum(plain) / 1e9
    total_sampled = sum(sampled) / 1e9
    report = {
        "model": name,
        "hook": a.hook,
        "requests": a.requests,
        "tokens_per_request": a.new_tokens,
        "plain_generate_s": round(total_plain, 4),
        "sampled_generate_s": round(total_sampled, 4),
        "difference_pct_noisy": round(100 * (total_sampled - total_plain) / total_plain, 2),
        "median_ratio": round(statistics.median(s / p for s, p in zip(sampled, plain, strict=True)), 4),
        "capture_s": round(w.capture_ns / 1e9, 5),
        "request_thread_sampling_s": round(w.sampling_ns / 1e9, 5),
        "request_thread_sampling_pct": round(100 * w.sampling_ns / 1e9 / total_sampled, 3),
        "serializer_cpu_s": round(ser_cpu, 5),
        "serializer_cpu_pct": round(100 * ser_cpu / total_sampled, 3),
        "serializer": "Publisher sender thread" if pub is not None else "fastavro (what AvroSerializer calls)",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
