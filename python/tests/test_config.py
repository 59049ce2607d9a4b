"""Environment configuration with the Java KafkaConfig's rules, and the registry URL forms."""

from __future__ import annotations

import pytest

from latentwatch import config


def test_property_names_follow_the_confluent_image_convention() -> None:
    assert config.property_name("COMPRESSION_TYPE") == "compression.type"
    assert config.property_name("SASL__MECHANISM") == "sasl_mechanism"
    assert config.property_name("A___B_C") == "a-b.c"
    assert config.property_name("X____Y") == "x-.y"  # runs longer than 3 repeat the pattern, as in Java


def test_overrides_apply_short_form_then_prefixed_and_win_over_defaults() -> None:
    env = {
        "LATENTWATCH_BOOTSTRAP_SERVERS": " b1:9092 ",
        "LATENTWATCH_KAFKA_LINGER_MS": "5",
        "LATENTWATCH_KAFKA_": "ignored",
        "OTHER": "x",
    }
    out = config.with_overrides({"linger.ms": 20, "acks": "all"}, env)
    assert out == {"linger.ms": "5", "acks": "all", "bootstrap.servers": "b1:9092"}
    env["LATENTWATCH_KAFKA_BOOTSTRAP_SERVERS"] = "b2:9092"
    assert config.with_overrides({}, env)["bootstrap.servers"] == "b2:9092"


def test_registry_urls_all_become_the_confluent_compatible_api() -> None:
    assert config.registry_url("http://reg:8080/") == "http://reg:8080/apis/ccompat/v7"
    assert config.registry_url("http://reg:8080/apis/registry/v3") == "http://reg:8080/apis/ccompat/v7"
    assert config.registry_url("https://r/x/apis/ccompat/v7") == "https://r/x/apis/ccompat/v7"
    assert config.registry_url(None, {"LATENTWATCH_REGISTRY_URL": "http://e:1"}) == "http://e:1/apis/ccompat/v7"
    with pytest.raises(ValueError, match="inside one Java process"):
        config.registry_url("embedded")
    with pytest.raises(ValueError, match="set LATENTWATCH_REGISTRY_URL"):
        config.registry_url(None, {})
    with pytest.raises(ValueError, match="not an http"):
        config.registry_url("reg:8080")


def test_topic_prefix() -> None:
    assert config.topic_prefix({}) == "latentwatch."
    assert config.topic_prefix({"LATENTWATCH_TOPIC_PREFIX": "prod."}) == "prod."
    with pytest.raises(ValueError, match="may only contain"):
        config.topic_prefix({"LATENTWATCH_TOPIC_PREFIX": "a/b"})
