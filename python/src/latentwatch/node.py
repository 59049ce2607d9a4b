"""A reference Python inference node: OpenAI-style ``POST /v1/completions`` on a Hugging Face
causal LM, publishing sampled hidden states as the Java node does (same API, same samples), so
``latentwatch traffic`` drives either.

    python -m latentwatch.node --model HF_DIR --hooks blocks.1.hook_resid_post --port 8001

Endpoints: ``POST /v1/completions`` ({model, prompt, max_tokens, temperature, top_p, top_k, seed,
stop, echo}; ``X-Request-Id`` names the request in the samples, ``X-Latentwatch-Scenario`` tags
them), ``GET /v1/models``, ``GET /health`` (counters). Errors use OpenAI's
``{"error": {message, type, param, code}}``. Generations run one at a time.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_BODY = 1 << 20


class Invalid(ValueError):
    def __init__(self, param: str | None, message: str) -> None:
        super().__init__(message)
        self.param = param


def parse_request(body: Any) -> dict[str, Any]:
    """The OpenAI completion fields the node honours, validated as the Java node's CompletionRequest."""
    if not isinstance(body, dict):
        raise Invalid(None, "the request body must be a JSON object")

    def number(f: str, default: float) -> float:
        v = body.get(f)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise Invalid(f, f"'{f}' must be a number, got {json.dumps(v)}")
        return float(v)

    def integer(f: str, default: int) -> int:
        v = body.get(f)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            raise Invalid(f, f"'{f}' must be an integer, got {json.dumps(v)}")
        return v

    p = body.get("prompt")
    if p is None:
        prompts = [""]
    elif isinstance(p, str):
        prompts = [p]
    elif isinstance(p, list):
        if not p:
            raise Invalid("prompt", "'prompt' is an empty list")
        if not all(isinstance(e, str) for e in p):
            raise Invalid(
                "prompt", "'prompt' must be a string or a list of strings (token-id prompts are not supported)"
            )
        prompts = list(p)
    else:
        raise Invalid("prompt", "'prompt' must be a string or a list of strings")
    max_tokens = integer("max_tokens", 16)
    if max_tokens < 0:
        raise Invalid("max_tokens", f"'max_tokens' must be >= 0, got {max_tokens}")
    temperature = number("temperature", 1.0)
    if not 0 <= temperature <= 2:
        raise Invalid("temperature", f"'temperature' must be in [0, 2], got {temperature}")
    top_p = number("top_p", 1.0)
    if not 0 < top_p <= 1:
        raise Invalid("top_p", f"'top_p' must be in (0, 1], got {top_p}")
    top_k = integer("top_k", 0)
    if top_k < 0:
        raise Invalid("top_k", f"'top_k' must be >= 0, got {top_k}")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise Invalid("seed", f"'seed' must be an integer, got {json.dumps(seed)}")
    s = body.get("stop")
    stop: list[str] = []
    if s is not None:
        if isinstance(s, str):
            stop = [s]
        elif isinstance(s, list) and all(isinstance(e, str) for e in s):
            stop = list(s)
        else:
            raise Invalid("stop", "'stop' must be a string or a list of strings")
        if len(stop) > 4:
            raise Invalid("stop", f"at most 4 stop sequences, got {len(stop)}")
        stop = [x for x in stop if x]
    if integer("n", 1) != 1:
        raise Invalid("n", "this node returns one choice per prompt ('n' must be 1)")
    if integer("best_of", 1) != 1:
        raise Invalid("best_of", "'best_of' is not supported (must be 1)")
    if body.get("logprobs") is not None:
        raise Invalid("logprobs", "'logprobs' is not supported")
    if body.get("stream"):
        raise Invalid("stream", "streaming is not supported")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise Invalid("model", "'model' must be a string")
    return dict(
        model=model,
        prompts=prompts,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        seed=seed,
        stop=stop,
        echo=bool(body.get("echo")),
    )


class Node:
    """The model, its tokenizer and the optional :class:`~latentwatch.hf.Watcher`."""

    def __init__(self, model: Any, tokenizer: Any, model_id: str, watcher: Any | None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.watcher = watcher
        self.lock = threading.Lock()
        self.requests = 0

    def complete(self, req: dict[str, Any], request_id: str, scenario: str | None) -> list[dict[str, Any]]:
        import torch

        out = []
        n_ctx = int(getattr(self.model.config, "max_position_embeddings", 1 << 30))
        for i, prompt in enumerate(req["prompts"]):
            rid = request_id if len(req["prompts"]) == 1 else f"{request_id}-{i}"
            self.requests += 1
            ids = self.tokenizer(prompt, return_tensors="pt").input_ids
            if ids.shape[1] > n_ctx:
                raise Invalid("prompt", f"the prompt has {ids.shape[1]} tokens; this model's context is {n_ctx}")
            max_new = min(req["max_tokens"], n_ctx - ids.shape[1])
            g: dict[str, Any] = dict(max_new_tokens=max_new, pad_token_id=self.tokenizer.eos_token_id or 0)
            if req["temperature"] == 0:
                g["do_sample"] = False
            else:
                g.update(do_sample=True, temperature=req["temperature"], top_p=req["top_p"], top_k=req["top_k"] or None)
                torch.manual_seed(req["seed"] + i if req["seed"] is not None else time.time_ns() & 0xFFFFFFFF)
            with self.lock, torch.no_grad():
                if max_new <= 0:
                    seq = ids
                elif self.watcher is not None:
                    seq = self.watcher.generate(ids, request_id=rid, scenario=scenario, **g)
                else:
                    seq = self.model.generate(ids, **g)
            made = seq.shape[1] - ids.shape[1]
            text = self.tokenizer.decode(seq[0, ids.shape[1] :], skip_special_tokens=True)
            finish = "length" if made >= req["max_tokens"] or seq.shape[1] >= n_ctx else "stop"
            cuts = [text.find(s) for s in req["stop"] if s in text]
            if cuts:
                text, finish = text[: min(cuts)], "stop"
            if req["echo"]:
                text = prompt + text
            out.append(
                dict(
                    text=text,
                    index=i,
                    logprobs=None,
                    finish_reason=finish,
                    prompt_tokens=int(ids.shape[1]),
                    completion_tokens=int(made),
                )
            )
        return out


def handler_for(node: Node) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, param: str | None, kind: str, code: str | None = None) -> None:
            self._send(status, {"error": {"message": message, "type": kind, "param": param, "code": code}})

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/v1/models":
                self._send(
                    200,
                    {"object": "list", "data": [{"id": node.model_id, "object": "model", "owned_by": "latentwatch"}]},
                )
            elif self.path == "/health":
                w = node.watcher
                pub = w.publisher.stats() if w is not None and hasattr(w.publisher, "stats") else None
                self._send(
                    200,
                    {
                        "status": "ok",
                        "model": node.model_id,
                        "requests": node.requests,
                        "sampling": "off" if w is None else repr(w.policy),
                        "hooks": [] if w is None else w.hooks,
                        "sampled": 0 if w is None else w.sampled,
                        "samples_enqueued": 0 if w is None else w.enqueued,
                        "samples_published": pub.published if pub else 0,
                        "samples_dropped": pub.dropped if pub else 0,
                        "samples_failed": pub.failed if pub else 0,
                    },
                )
            else:
                self._error(
                    404,
                    f"no route {self.path}: POST /v1/completions, GET /v1/models or /health",
                    None,
                    "invalid_request_error",
                )

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/v1/completions":
                self._error(404, f"no route {self.path}: POST /v1/completions", None, "invalid_request_error")
                return
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                self._error(413, f"request body over {MAX_BODY} bytes", None, "invalid_request_error")
                return
            try:
                req = parse_request(json.loads(self.rfile.read(n) or b"null"))
            except json.JSONDecodeError as e:
                self._error(400, f"the body is not valid JSON: {e}", None, "invalid_request_error")
                return
            except Invalid as e:
                self._error(400, str(e), e.param, "invalid_request_error")
                return
            if req["model"] is not None and req["model"] != node.model_id:
                self._error(
                    404,
                    f"the model '{req['model']}' does not exist; this node serves '{node.model_id}'",
                    "model",
                    "invalid_request_error",
                    "model_not_found",
                )
                return
            given = self.headers.get("X-Request-Id")
            rid = given if given and SAFE_ID.fullmatch(given) else str(uuid.uuid4())
            scenario = self.headers.get("X-Latentwatch-Scenario")
            if scenario and not SAFE_ID.fullmatch(scenario):
                scenario = None
            try:
                choices = node.complete(req, rid, scenario)
            except Invalid as e:
                self._error(400, str(e), e.param, "invalid_request_error")
                return
            except Exception as e:  # noqa: BLE001 - the client gets a 500 with the reason
                self._error(500, f"generation failed: {e!r}", None, "server_error")
                return
            pt = sum(c.pop("prompt_tokens") for c in choices)
            ct = sum(c.pop("completion_tokens") for c in choices)
            self._send(
                200,
                {
                    "id": f"cmpl-{rid}",
                    "object": "text_completion",
                    "created": int(time.time()),
                    "model": node.model_id,
                    "choices": choices,
                    "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
                },
                {"X-Request-Id": rid},
            )

    return Handler


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m latentwatch.node",
        description="Serve OpenAI-style POST /v1/completions (plus GET /v1/models and /health) on a Hugging Face "
        "causal LM and, for the sampled share of requests, publish the chosen hooks at the chosen token positions "
        "as HiddenStateSamples to Kafka through a bounded, non-blocking queue (as `latentwatch node` does).",
        epilog="Environment: LATENTWATCH_BOOTSTRAP_SERVERS, LATENTWATCH_KAFKA_<PROPERTY>, LATENTWATCH_REGISTRY_URL, "
        "LATENTWATCH_TOPIC_PREFIX. Example: python -m latentwatch.node --model /tmp/stories260K-hf "
        "--hooks blocks.1.hook_resid_post --registry http://127.0.0.1:8080 --port 8001",
    )
    ap.add_argument(
        "--model", required=True, type=Path, help="Hugging Face model directory (config.json, weights, tokenizer)"
    )
    ap.add_argument("--model-id", help="model id in responses and samples (default: the directory name)")
    ap.add_argument(
        "--hooks", default="blocks.1.hook_resid_post", help="hooks to capture, comma-separated (default: %(default)s)"
    )
    ap.add_argument(
        "--sample-rate", type=float, default=1.0, help="share of requests sampled, 0 = off (default: %(default)s)"
    )
    ap.add_argument("--positions", default="last", help="last, all or random-k (default: %(default)s)")
    ap.add_argument("--k", type=int, default=4, help="positions per request for random-k (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sampling decisions (default: %(default)s)")
    ap.add_argument("--dtype", default="F16", choices=["F16", "BF16", "F32"], help="wire dtype (default: %(default)s)")
    ap.add_argument(
        "--bootstrap-servers", default=None, help="Kafka (default: $LATENTWATCH_BOOTSTRAP_SERVERS or 127.0.0.1:9092)"
    )
    ap.add_argument("--registry", default=None, help="Apicurio Registry URL (default: $LATENTWATCH_REGISTRY_URL)")
    ap.add_argument("--node-id", default=f"py-{socket.gethostname()}", help="node id in samples (default: %(default)s)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    ap.add_argument("--port", type=int, default=8000, help="HTTP port, 0 = any free port (default: %(default)s)")
    a = ap.parse_args(argv)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from . import config
    from .hf import Watcher
    from .publisher import Publisher, producer_defaults
    from .sampling import SamplingPolicy

    torch.set_grad_enabled(False)
    model = AutoModelForCausalLM.from_pretrained(str(a.model)).eval()
    tok = AutoTokenizer.from_pretrained(str(a.model))
    model_id = a.model_id or a.model.resolve().name
    watcher = None
    publisher = None
    if a.sample_rate > 0:
        hooks = [h.strip() for h in a.hooks.split(",") if h.strip()]
        props = config.with_overrides(producer_defaults(a.bootstrap_servers or "127.0.0.1:9092"))
        if a.bootstrap_servers:
            props["bootstrap.servers"] = a.bootstrap_servers
        publisher = Publisher(props, config.registry_url(a.registry))
        watcher = Watcher(
            model,
            publisher,
            SamplingPolicy(hooks, a.sample_rate, a.positions, a.k, a.seed),
            hooks,
            model_id=model_id,
            node_id=a.node_id,
            dtype=a.dtype,
        )
    node = Node(model, tok, model_id, watcher)
    server = ThreadingHTTPServer((a.host, a.port), handler_for(node))
    print(
        f"latentwatch python node: {model_id} on http://{a.host}:{server.server_address[1]}"
        f" (sampling {'off' if watcher is None else repr(watcher.policy)})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if publisher is not None:
            publisher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
