"""Shared paths: the repository around the package (absent when the package is tested on its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
VECTORS = REPO / "schemas/src/test/resources/vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.skip(f"the shared test vectors are not here ({VECTORS}): run the tests from the repository")
    return VECTORS
