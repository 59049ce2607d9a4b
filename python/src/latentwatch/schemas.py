"""The topic contracts: one self-contained Avro schema per topic, exactly as it is registered.

The texts are derived by the Java build from ``schemas/src/main/avro/*.avsc`` (the one source of
truth) and shipped as package data; ``tests/test_schemas.py`` checks that they are identical to the
shared vectors the Java tests check. Subjects follow Confluent's TopicNameStrategy:
``<topic>-value``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: Topic name suffixes (the topic is ``prefix + suffix``) and the record each carries.
TOPIC_RECORDS: dict[str, str] = {
    "hidden-states": "HiddenStateSample",
    "examples": "LabeledExample",
    "sae-versions": "SaeVersion",
    "alerts": "Alert",
    "explanations": "Explanation",
}


@cache
def schema_text(topic_suffix: str) -> str:
    """The registered schema text of a topic, e.g. ``schema_text("hidden-states")``."""
    if topic_suffix not in TOPIC_RECORDS:
        raise ValueError(f"unknown latentwatch topic '{topic_suffix}': one of {sorted(TOPIC_RECORDS)}")
    return resources.files("latentwatch").joinpath(f"schemas/{topic_suffix}.avsc").read_text("utf-8").strip()


def subject(topic: str) -> str:
    """The registry subject of a topic's values (Confluent's TopicNameStrategy)."""
    return f"{topic}-value"
