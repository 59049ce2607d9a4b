"""The Python node's HTTP API on stories260K (converted), as the Java node's: completions, errors, request ids."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from conftest import REPO  # noqa: E402

from latentwatch import SamplingPolicy  # noqa: E402
from latentwatch.convert import convert  # noqa: E402
from latentwatch.hf import Watcher  # noqa: E402
from latentwatch.node import Invalid, Node, handler_for, parse_request  # noqa: E402

STORIES = REPO.parent / "shared/models/stories260K"


class Collect:
    def __init__(self) -> None:
        self.samples: list[dict] = []

    def publish(self, s: dict) -> bool:
        self.samples.append(s)
        return True


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # type: ignore[no-untyped-def]
    if not (STORIES / "stories260K.bin").is_file():
        pytest.skip(f"no stories260K at {STORIES}")
    hf = convert(STORIES / "stories260K.bin", STORIES / "tok512.bin", tmp_path_factory.mktemp("node") / "hf")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(hf)).eval()
    tok = transformers.AutoTokenizer.from_pretrained(str(hf))
    sink = Collect()
    w = Watcher(model, sink, SamplingPolicy(["blocks.1.hook_resid_post"]), model_id="tiny")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(Node(model, tok, "tiny", w)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", sink
    httpd.shutdown()
    httpd.server_close()


def call(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    req = urllib.request.Request(
        url + "/v1/completions",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def test_completion_publishes_a_sample_under_the_clients_request_id(server) -> None:  # type: ignore[no-untyped-def]
    url, sink = server
    status, body, headers = call(
        url, {"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}, {"X-Request-Id": "abc-1"}
    )
    assert status == 200, body
    assert body["object"] == "text_completion" and body["id"] == "cmpl-abc-1" and headers["X-Request-Id"] == "abc-1"
    assert body["usage"] == {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
    assert body["choices"][0]["text"] == ", there was a"
    assert body["choices"][0]["finish_reason"] == "length"
    s = sink.samples[-1]
    assert s["requestId"] == "abc-1" and s["activations"][0]["position"] == 7 and len(s["tokenIds"]) == 9


def test_errors_have_openais_shape(server) -> None:  # type: ignore[no-untyped-def]
    url, _ = server
    status, body, _ = call(url, {"prompt": "x", "n": 2})
    assert status == 400 and body["error"]["param"] == "n" and body["error"]["type"] == "invalid_request_error"
    status, body, _ = call(url, {"prompt": "x", "model": "other"})
    assert status == 404 and body["error"]["code"] == "model_not_found"


def test_parse_request_validates_like_the_java_node() -> None:
    r = parse_request({"prompt": ["a", "b"], "stop": ["", "x"], "seed": 3})
    assert r["prompts"] == ["a", "b"] and r["stop"] == ["x"] and r["max_tokens"] == 16 and r["temperature"] == 1.0
    for bad, param in [
        ({"temperature": 3}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"prompt": [1]}, "prompt"),
        ({"stop": ["a"] * 5}, "stop"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"stream": True}, "stream"),
    ]:
        with pytest.raises(Invalid) as e:
            parse_request(bad)
        assert e.value.param == param
