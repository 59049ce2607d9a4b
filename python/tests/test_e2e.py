"""End to end on the real stack (separate processes): the Kafka broker, the Apicurio Registry, the
Java node serving the llama2.c stories260K checkpoint and the Java monitor; this package converts
the same checkpoint to a Hugging Face directory, generates with transformers and publishes.

Before the node and the monitor start, the Java trainer trains an SAE for stories260K's
``blocks.1.hook_resid_post`` (``latentwatch train sae`` on text stories260K generated) and announces
it (``latentwatch sae publish``); the monitor loads it from the compacted sae-versions topic and the
shared artifact store, and reads alerts with the stories260K checkpoint (logit lens, Patchscope).

Checks: (1) Java-written samples are read here through the Confluent-compatible API (Confluent's
AvroDeserializer), and the Java serdes took that same /apis/ccompat/v7 URL; (2) the activations
Python publishes for the same tokens equal the Java runtime's within F16 precision (transformers'
Llama vs latentwatch's runtime); (3) the monitor projects the Python samples through the
Java-trained SAE (its /metrics count them) and an off-manifold Python sample raises a recon-error
alert naming that request, with an explanation carrying the SAE's top latents and logit-lens
tokens; after its warm-up an anomalous-norm Python sample raises an alert naming that request;
(4) a record with an unknown schema id is dead-lettered with "schema id N not found"; (5) both
sides use the same schema id.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import urllib.request
import uuid

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import stack  # noqa: E402
from confluent_kafka import Consumer, Producer  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer  # noqa: E402
from confluent_kafka.schema_registry.error import SchemaRegistryError  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

from latentwatch import Publisher, SamplingPolicy, decode, producer_defaults  # noqa: E402
from latentwatch.convert import convert  # noqa: E402
from latentwatch.hf import Watcher  # noqa: E402

pytestmark = pytest.mark.e2e
HOOK = "blocks.1.hook_resid_post"
WARMUP = 5
# Text stories260K generated itself: the normal traffic its SAE is trained and baselined on.
SAE_PROMPTS = "sae-trainer/src/test/resources/stories260K-generated.txt"


def consume(bootstrap: str, registry: SchemaRegistryClient | None, topic: str, want, timeout: float = 60):  # type: ignore[no-untyped-def]
    """Reads ``topic`` from the start until ``want(records)`` is truthy; returns (value, headers) pairs."""
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"e2e-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    de = AvroDeserializer(registry) if registry is not None else None
    c.subscribe([topic])
    got: list[tuple[object, dict[str, bytes], bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                if want(got):
                    return got
                continue
            raw = m.value()
            try:
                v = de(raw, SerializationContext(topic, MessageField.VALUE)) if de else raw
            except SchemaRegistryError:  # the record framed with an unknown schema id (test 1) stays on the topic
                continue
            got.append((v, dict(m.headers() or []), raw))
            if want(got):
                return got
    finally:
        c.close()
    raise TimeoutError(f"{topic}: condition not met after {timeout} s; read {len(got)} records")


@pytest.fixture(scope="module")
def live():  # type: ignore[no-untyped-def]
    reason = stack.missing()
    if reason:
        pytest.skip(reason)
    s = stack.Stack()
    try:
        bootstrap = s.kafka()
        base = s.registry()
        ccompat = base + "/apis/ccompat/v7"
        s.await_kafka()
        s.await_http("registry", base + "/health/ready")
        node_port = stack.free_port()
        metrics_port = stack.free_port()
        common = ["--bootstrap-servers", bootstrap, "--registry", ccompat]
        model = ["--model", str(stack.STORIES / "stories260K.bin"), "--tokenizer", str(stack.STORIES / "tok512.bin")]
        # The Java trainer: an SAE on stories260K's own text, announced as the version in force.
        sae_dir, store = s.dir / "sae", s.dir / "artifacts"
        train = [
            *["train", "sae", *model, "--hook", HOOK, "--prompts", str(stack.REPO / SAE_PROMPTS)],
            *["--d-sae", "256", "--k", "8", "--steps", "300", "--validation-share", "0.2", "--ce-prompts", "0"],
            *["--out", str(sae_dir), "--no-progress"],
        ]
        s.run_java("train-sae", train, timeout=900)  # seconds on a quiet machine; generous for a loaded one
        publish = ["sae", "publish", str(sae_dir), "--model-id", "stories260K", "--store", str(store), *common]
        s.run_java("sae-publish", publish)
        s.java(
            "node",
            [
                "node",
                "--model",
                str(stack.STORIES / "stories260K.bin"),
                "--tokenizer",
                str(stack.STORIES / "tok512.bin"),
                "--port",
                str(node_port),
                "--hooks",
                HOOK,
                "--positions",
                "all",
                "--node-id",
                "java-node",
                *common,
            ],
        )
        monitor = ["monitor", "--warmup", str(WARMUP), "--metrics-port", str(metrics_port)]
        monitor += ["--artifacts-dir", str(store)]
        monitor += ["--state-dir", str(s.dir / "state"), "--model", f"stories260K={stack.STORIES / 'stories260K.bin'}"]
        s.java("monitor", [*monitor, "--tokenizer", f"stories260K={stack.STORIES / 'tok512.bin'}", *common])
        s.await_http("node", f"http://127.0.0.1:{node_port}/health", 90)
        s.await_http("monitor", f"http://127.0.0.1:{metrics_port}/health/ready", 120)
        yield dict(
            stack=s,
            bootstrap=bootstrap,
            base=base,
            ccompat=ccompat,
            node=f"http://127.0.0.1:{node_port}",
            metrics=f"http://127.0.0.1:{metrics_port}/metrics",
        )
    finally:
        s.close()


def test_python_and_java_publish_the_same_activations_and_the_monitor_alerts_on_python_requests(live, tmp_path):  # type: ignore[no-untyped-def]
    bootstrap, ccompat = live["bootstrap"], live["ccompat"]
    registry = SchemaRegistryClient({"url": ccompat})
    hidden, alerts, dlq = "latentwatch.hidden-states", "latentwatch.alerts", "latentwatch.dlq"

    # The Java node generates; its sample is read here with Confluent's deserializer.
    r = stack.post_json(
        live["node"] + "/v1/completions",
        {"prompt": "Once upon a time", "max_tokens": 6, "temperature": 0},
        {"X-Request-Id": "java-1"},
    )
    prompt_tokens = r["usage"]["prompt_tokens"]
    got = consume(bootstrap, registry, hidden, lambda rs: any(v["requestId"] == "java-1" for v, _, _ in rs))
    java_sample, _, java_raw = next(x for x in got if x[0]["requestId"] == "java-1")
    java_tokens = java_sample["tokenIds"]

    # The same checkpoint through transformers, the same prompt tokens, greedy.
    hf_dir = convert(stack.STORIES / "stories260K.bin", stack.STORIES / "tok512.bin", tmp_path / "stories260K-hf")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(hf_dir)).eval()
    with Publisher(producer_defaults(bootstrap), ccompat) as pub:
        w = Watcher(model, pub, SamplingPolicy([HOOK], positions="all"), model_id="stories260K", node_id="py-node")
        prompt = torch.tensor([java_tokens[:prompt_tokens]])
        with torch.no_grad():
            out = w.generate(prompt, request_id="py-1", max_new_tokens=6, do_sample=False, pad_token_id=0)
            assert out[0].tolist() == java_tokens, "greedy generation: transformers and the Java runtime agree"
            for i in range(WARMUP + 2):
                w.generate(prompt, request_id=f"py-warm-{i}", max_new_tokens=3, do_sample=False, pad_token_id=0)
        # An anomalous hidden state: the real sample of py-1 with its activations scaled 40x.
        cap_sample = None
        got = consume(bootstrap, registry, hidden, lambda rs: any(v["requestId"] == "py-1" for v, _, _ in rs))
        py_sample, _, py_raw = next(x for x in got if x[0]["requestId"] == "py-1")
        cap_sample = dict(
            py_sample,
            requestId="py-anomaly",
            activations=[
                dict(a, data=(decode(a["data"], "F16") * 40).astype("<f2").tobytes()) for a in py_sample["activations"]
            ],
        )
        assert pub.publish(cap_sample)
        # Off the SAE's manifold: each row replaced by a random direction of the same norm (recon-error).
        rng = np.random.default_rng(7)
        off = []
        for a in py_sample["activations"]:
            v = decode(a["data"], "F16").astype(np.float32)
            r = rng.standard_normal(v.shape).astype(np.float32)
            off.append(dict(a, data=(r * (np.linalg.norm(v) / np.linalg.norm(r))).astype("<f2").tobytes()))
        assert pub.publish(dict(py_sample, requestId="py-random", activations=off))
        assert pub.flush(30), pub.stats()
        assert pub.stats().failed == 0 and pub.stats().dropped == 0

    # Same schema id on the wire from both languages.
    assert struct.unpack(">I", py_raw[1:5]) == struct.unpack(">I", java_raw[1:5])

    # Activations equal within F16 precision, position by position.
    jv = {a["position"]: decode(a["data"], a["dtype"]) for a in java_sample["activations"] if a["hook"] == HOOK}
    pv = {a["position"]: decode(a["data"], a["dtype"]) for a in py_sample["activations"] if a["hook"] == HOOK}
    assert sorted(pv) == sorted(jv) == list(range(len(java_tokens) - 1))
    for p in jv:
        np.testing.assert_allclose(pv[p], jv[p], rtol=2**-9, atol=2e-3, err_msg=f"position {p}")

    # A record framed with an id the registry does not have: dead-lettered with the id in the reason.
    p = Producer({"bootstrap.servers": bootstrap})
    p.produce(hidden, key=b"stories260K", value=b"\x00" + struct.pack(">I", 987654) + b"\x02ab")
    p.flush(10)
    dead = consume(
        bootstrap,
        None,
        dlq,
        lambda rs: any(b"987654" in h.get("latentwatch.dlq.detail", b"") for _, h, _ in rs),
        timeout=60,
    )
    detail = next(
        h["latentwatch.dlq.detail"].decode() for _, h, _ in dead if b"987654" in h.get("latentwatch.dlq.detail", b"")
    )
    assert "schema id 987654 not found" in detail, detail
    assert not any(b"py-" in raw for _, _, raw in dead), "no Python sample was dead-lettered"

    # The monitor read the Python samples: the anomalous one raises an alert naming the request.
    found = consume(bootstrap, registry, alerts, lambda rs: any(v["requestId"] == "py-anomaly" for v, _, _ in rs), 60)
    alert = next(v for v, _, _ in found if v["requestId"] == "py-anomaly")
    assert alert["modelId"] == "stories260K" and alert["hook"] == HOOK and alert["nodeId"] == "py-node"

    # Projected through the SAE the Java trainer trained: a recon-error alert naming the Python request ...
    found = consume(
        bootstrap,
        registry,
        alerts,
        lambda rs: any(v["requestId"] == "py-random" and v["detector"] == "recon-error" for v, _, _ in rs),
        90,
    )
    recon = next(v for v, _, _ in found if v["requestId"] == "py-random" and v["detector"] == "recon-error")
    assert recon["modelId"] == "stories260K" and recon["hook"] == HOOK and recon["saeVersion"], recon
    # ... explained with the SAE's latents and the model's logit lens.
    expl = consume(
        bootstrap,
        registry,
        "latentwatch.explanations",
        lambda rs: any(v["alertId"] == recon["alertId"] for v, _, _ in rs),
        90,
    )
    e = next(v for v, _, _ in expl if v["alertId"] == recon["alertId"])
    assert e["topLatents"] and e["logitLensTokens"], e
    # The monitor's own count of activations projected for the Python model.
    with urllib.request.urlopen(live["metrics"], timeout=10) as r:
        metrics = r.read().decode()
    projected = [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("latentwatch_activations_projected_total{")
        and 'model="stories260K"' in line
        and HOOK in line
    ]
    assert projected and projected[0] > 0, "no activation of stories260K projected"


def readme_example() -> str:
    """The python block under "In a few lines" of python/README.md, as documented."""
    text = (stack.REPO / "python/README.md").read_text()
    section = text.split("## In a few lines", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_publishes_and_the_monitor_alerts_name_its_requests(live, tmp_path):  # type: ignore[no-untyped-def]
    """The README's example, run as a script (it never closes its publisher: the exit hook sends), on stories260K
    converted into a directory of that name (so the samples carry the model id the Java-trained SAE is for)."""
    bootstrap, ccompat = live["bootstrap"], live["ccompat"]
    registry = SchemaRegistryClient({"url": ccompat})
    hf_dir = convert(stack.STORIES / "stories260K.bin", stack.STORIES / "tok512.bin", tmp_path / "stories260K")
    code = readme_example()
    assert 'request_id="req-1"' in code and '"Once upon a time"' in code, code
    # The same lines with an off-distribution prompt under another request id: what the monitor should flag. (With
    # this seeded SAE, FVU 0.14, 8 of this prompt's 45 positions exceed the baseline's p99.9 recon error; a story
    # prompt's largest error is half of it. German text: 2 positions; "zq xj ..." gibberish: none.)
    odd = code.replace('"Once upon a time"', '"}}}}}}}}]]]]]]]]))))))))"').replace('"req-1"', '"req-odd"')
    env = {
        **os.environ,
        "LATENTWATCH_BOOTSTRAP_SERVERS": bootstrap,
        "LATENTWATCH_REGISTRY_URL": ccompat,
        "PYTHONPATH": os.pathsep.join([str(stack.REPO / "python/src"), os.environ.get("PYTHONPATH", "")]),
    }
    for script in (code, odd):
        r = subprocess.run(
            [sys.executable, "-c", f"DIR = {str(hf_dir)!r}\n" + script],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr[-3000:]
    hidden = consume(
        bootstrap,
        registry,
        "latentwatch.hidden-states",
        lambda rs: {"req-1", "req-odd"} <= {v["requestId"] for v, _, _ in rs},
    )
    mine = [v for v, _, _ in hidden if v["requestId"] in ("req-1", "req-odd")]
    assert {v["modelId"] for v in mine} == {"stories260K"} and all(len(v["activations"]) > 1 for v in mine)
    found = consume(
        bootstrap,
        registry,
        "latentwatch.alerts",
        lambda rs: any(v["requestId"] == "req-odd" and v["saeVersion"] for v, _, _ in rs),
        90,
    )
    odd_alerts = [v for v, _, _ in found if v["requestId"] == "req-odd" and v["saeVersion"]]
    assert odd_alerts[0]["modelId"] == "stories260K" and odd_alerts[0]["hook"] == HOOK, odd_alerts[0]
    print(
        "README example: alerts on req-odd:",
        sorted({a["detector"] for a in odd_alerts}),
        "on req-1:",
        sorted({v["detector"] for v, _, _ in found if v["requestId"] == "req-1"}),
    )
