"""Copies the registered schema of each topic from the shared vectors into the package.

The .avsc files in schemas/src/main/avro are the one source of truth; the Java build derives the
self-contained text that is registered per topic (RegisteredSchemas, checked by RecordVectorsTest)
and records it in schemas/src/test/resources/vectors/records.json. This script copies those texts
to src/latentwatch/schemas/<topic>.avsc; tests/test_schemas.py fails when they differ.
Run: python tools/sync_schemas.py
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas/src/test/resources/vectors/records.json"
OUT = Path(__file__).resolve().parents[1] / "src/latentwatch/schemas"

for v in json.loads(VECTORS.read_text())["records"]:
    suffix = v["topic"].removeprefix("latentwatch.")
    (OUT / f"{suffix}.avsc").write_text(v["schema"] + "\n")
    print(f"{suffix}.avsc <- {v['record']}")
