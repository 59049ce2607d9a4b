"""The shared test vectors that the Java tests check too (RecordVectorsTest, SharedVectorsTest)."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import fastavro
import numpy as np
import pytest

from latentwatch import Reservoir, SamplingPolicy, decode, encode, schema_text
from latentwatch.javarandom import JavaRandom, SplittableRandom


def _floats(bits: list[str]) -> np.ndarray:
    return np.array([int(b, 16) for b in bits], dtype=np.uint32).view(np.float32)


def test_encoding_is_byte_identical_to_java(vectors: Path) -> None:
    cases = json.loads((vectors / "encoding.json").read_text())["cases"]
    assert {c["dtype"] for c in cases} == {"F32", "F16", "BF16"}
    for c in cases:
        values = _floats(c["float32_bits"])
        if c.get("error"):
            with pytest.raises(ValueError, match="overflows F16"):
                encode(values, c["dtype"])
            continue
        data = encode(values, c["dtype"])
        assert data.hex() == c["hex"], c["name"]
        back = decode(data, c["dtype"], len(values))
        assert back.view(np.uint32).tolist() == [int(b, 16) for b in c["decoded_float32_bits"]], c["name"]


def test_records_encode_to_the_java_bytes(vectors: Path) -> None:
    records = json.loads((vectors / "records.json").read_text())["records"]
    assert len(records) == 5
    for v in records:
        suffix = v["topic"].removeprefix("latentwatch.")
        assert schema_text(suffix) == v["schema"], f"{suffix}: shipped schema differs; run tools/sync_schemas.py"
        schema = fastavro.parse_schema(json.loads(v["schema"]))
        record = next(fastavro.json_reader(io.StringIO(v["json"]), schema))
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, record)
        assert out.getvalue().hex() == v["avro_hex"], v["record"]
        back = fastavro.schemaless_reader(io.BytesIO(bytes.fromhex(v["avro_hex"])), schema, schema)
        assert back == record, v["record"]


def test_the_java_bytes_of_a_hidden_state_decode_to_its_activations(vectors: Path) -> None:
    v = next(
        r for r in json.loads((vectors / "records.json").read_text())["records"] if r["record"] == "HiddenStateSample"
    )
    schema = fastavro.parse_schema(json.loads(v["schema"]))
    rec = fastavro.schemaless_reader(io.BytesIO(bytes.fromhex(v["avro_hex"])), schema, schema)
    a = rec["activations"][0]
    assert (a["hook"], a["dtype"], a["shape"]) == ("blocks.3.hook_resid_post", "F16", [4])
    assert decode(a["data"], "F16").tolist() == [1.0, -2.0, 0.0, 65504.0]
    assert struct.unpack("<f", rec["activations"][1]["data"])[0] == 1.0


def test_seeded_choices_equal_java(vectors: Path) -> None:
    s = json.loads((vectors / "sampling.json").read_text())
    for c in s["java_random"]:
        r = JavaRandom(c["seed"])
        assert [r.next_double() for _ in range(5)] == c["next_double"]
        assert [r.next_int(100) for _ in range(5)] == c["next_int_100"]
        assert [r.next_int(64) for _ in range(5)] == c["next_int_64"]
    for c in s["sample_request"]:
        p = SamplingPolicy(sample_rate=c["rate"], seed=c["seed"])
        assert [p.sample_request() for _ in c["decisions"]] == c["decisions"]
    for c in s["random_k"]:
        p = SamplingPolicy(positions="random-k", k=c["k"], seed=c["seed"])
        assert [p.positions(call["seq_len"]) for call in c["calls"]] == [call["positions"] for call in c["calls"]]
    for c in s["splittable"]:
        r = SplittableRandom(c["seed"])
        assert [r.next_long(b) for b in c["bounds"]] == c["next_long"]


def test_reservoir_keeps_a_uniform_k_subset() -> None:
    # Independent check of the reservoir: over many seeds every position is kept about k/n of the time.
    n, k, trials = 12, 3, 3000
    counts = np.zeros(n)
    for seed in range(trials):
        r = Reservoir(k, seed)
        for pos in range(n):
            r.offer(pos)
        assert len(r.kept) == k and r.kept == sorted(set(r.kept))
        counts[r.kept] += 1
    freq = counts / trials
    assert np.all(np.abs(freq - k / n) < 0.035), freq
