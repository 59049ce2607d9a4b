"""Configuration from the environment, with the Java side's rules (publisher ``KafkaConfig``).

* ``LATENTWATCH_BOOTSTRAP_SERVERS``: the brokers (short form of ``LATENTWATCH_KAFKA_BOOTSTRAP_SERVERS``).
* ``LATENTWATCH_KAFKA_<NAME>``: any Kafka client property, named as Confluent's images do: upper case,
  ``.`` written ``_``, ``_`` written ``__`` and ``-`` written ``___``
  (``LATENTWATCH_KAFKA_COMPRESSION_TYPE=lz4`` sets ``compression.type``). Applied after the short form,
  so the explicit one wins; environment values win over code defaults.
* ``LATENTWATCH_REGISTRY_URL``: the schema registry (an Apicurio Registry's base URL, its core API or its
  Confluent-compatible API ``.../apis/ccompat/v7``; Python clients always use the latter).
* ``LATENTWATCH_TOPIC_PREFIX``: prefix of every topic name (default ``latentwatch.``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

BOOTSTRAP_ENV = "LATENTWATCH_BOOTSTRAP_SERVERS"
REGISTRY_ENV = "LATENTWATCH_REGISTRY_URL"
PREFIX_ENV = "LATENTWATCH_TOPIC_PREFIX"
PROPERTY_ENV_PREFIX = "LATENTWATCH_KAFKA_"
DEFAULT_PREFIX = "latentwatch."
CCOMPAT_PATH = "/apis/ccompat/v7"
_TOPIC_PREFIX = re.compile(r"[a-zA-Z0-9._-]*")


def property_name(env_suffix: str) -> str:
    """``COMPRESSION_TYPE`` -> ``compression.type``; runs of ``_``: 1 -> ``.``, 2 -> ``_``, 3 -> ``-``."""
    s = env_suffix.lower()
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] != "_":
            out.append(s[i])
            i += 1
            continue
        run = 0
        while i + run < len(s) and s[i + run] == "_":
            run += 1
        r = run
        while r > 0:  # longer runs repeat the pattern, as in Java
            if r >= 3:
                out.append("-")
                r -= 3
            elif r == 2:
                out.append("_")
                r -= 2
            else:
                out.append(".")
                r -= 1
        i += run
    return "".join(out)


def with_overrides(defaults: Mapping[str, object], env: Mapping[str, str] | None = None) -> dict[str, object]:
    """``defaults`` overlaid with the overrides in ``env`` (the process environment by default)."""
    env = os.environ if env is None else env
    out: dict[str, object] = dict(defaults)
    bootstrap = env.get(BOOTSTRAP_ENV)
    if bootstrap and bootstrap.strip():
        out["bootstrap.servers"] = bootstrap.strip()
    for key in sorted(k for k in env if k.startswith(PROPERTY_ENV_PREFIX) and len(k) > len(PROPERTY_ENV_PREFIX)):
        out[property_name(key[len(PROPERTY_ENV_PREFIX) :])] = env[key]
    return out


def registry_url(url: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The Confluent-compatible URL of the registry: ``url``, else ``LATENTWATCH_REGISTRY_URL``.

    An Apicurio base URL (``http://host:8080``) or core API URL (``.../apis/registry/v3``) becomes
    ``.../apis/ccompat/v7``: the same server, and the same ids (content ids) as the Java serde uses.
    """
    env = os.environ if env is None else env
    given = url if url is not None else env.get(REGISTRY_ENV, "")
    u = given.strip().rstrip("/")
    if not u:
        raise ValueError(
            f"no schema registry: pass registry_url or set {REGISTRY_ENV} to an Apicurio Registry URL "
            "(e.g. http://127.0.0.1:8080)"
        )
    if u.lower() == "embedded":
        raise ValueError(
            "the 'embedded' registry lives inside one Java process; a Python publisher needs a registry server "
            f"URL in {REGISTRY_ENV} (e.g. http://127.0.0.1:8080)"
        )
    if not (u.startswith("http://") or u.startswith("https://")):
        raise ValueError(f"schema registry '{given}' is not an http(s) URL of an Apicurio Registry")
    if "/apis/ccompat/" in u:
        return u
    if "/apis/registry/" in u:
        return u[: u.index("/apis/registry/")] + CCOMPAT_PATH
    if "/apis/" in u:
        raise ValueError(f"schema registry '{given}': unknown API path; give the server's base URL")
    return u + CCOMPAT_PATH


def topic_prefix(env: Mapping[str, str] | None = None) -> str:
    """``LATENTWATCH_TOPIC_PREFIX`` or ``latentwatch.``; only ``[a-zA-Z0-9._-]`` (Kafka topic names)."""
    env = os.environ if env is None else env
    p = (env.get(PREFIX_ENV) or "").strip() or DEFAULT_PREFIX
    if not _TOPIC_PREFIX.fullmatch(p):
        raise ValueError(f"topic prefix '{p}' may only contain letters, digits, '.', '_' and '-'")
    return p
