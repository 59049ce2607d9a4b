"""The publisher never blocks: with nothing listening, a full queue drops and counts."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

from latentwatch import Publisher, activation, encode, producer_defaults


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample(i: int) -> dict:
    return {
        "modelId": "m",
        "modelVersion": "0" * 64,
        "nodeId": "n",
        "requestId": f"r{i}",
        "timestampMs": 1_700_000_000_000,
        "tokenIds": [1, 2],
        "tokenText": None,
        "sampling": {"sampleRate": 1.0, "positionPolicy": "last"},
        "activations": [activation("blocks.0.hook_resid_post", 1, np.ones(8))],
    }


def test_publish_never_blocks_and_counts_drops_when_kafka_and_the_registry_are_down() -> None:
    port = closed_port()
    props = producer_defaults(f"127.0.0.1:{port}") | {"message.timeout.ms": 2000}
    pub = Publisher(props, f"http://127.0.0.1:{port}", topic="t", queue_capacity=4)
    try:
        t0 = time.perf_counter()
        accepted = sum(pub.publish(sample(i)) for i in range(200))
        elapsed = time.perf_counter() - t0
        assert elapsed < 0.5, f"publish blocked: {elapsed:.3f} s for 200 samples"
        s = pub.stats()
        assert accepted + s.dropped == 200 and s.dropped >= 190
    finally:
        pub.close(timeout=3)
    assert pub.stats().published == 0


def test_activation_records_and_overflow() -> None:
    a = activation("blocks.0.attn.hook_z", 3, np.zeros((2, 4)), "BF16")
    assert a["shape"] == [2, 4] and a["dtype"] == "BF16" and len(a["data"]) == 16
    with pytest.raises(ValueError, match="overflows F16.*BF16 or F32"):
        encode([1.0, 70000.0], "F16", hook="blocks.0.hook_resid_post")
    assert len(encode([70000.0], "BF16")) == 2
    with pytest.raises(ValueError, match="negative position"):
        activation("h", -1, [1.0])
