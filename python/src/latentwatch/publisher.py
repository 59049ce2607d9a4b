"""The publisher an inference node embeds: ``publish`` never blocks the request.

Samples go into a bounded queue drained by one sender thread, which serializes them (Confluent's
own ``AvroSerializer`` against the registry, the Confluent wire format: magic byte 0, the 4-byte
schema id, Avro binary) and hands them to confluent-kafka's producer. When the queue is full the
sample is dropped and counted: a slow or absent broker costs samples, never latency.

The producer is idempotent with ``acks=all`` and compresses with zstd, as the Java publisher's;
records are keyed by model id (all samples of a model in one partition, in order) and stamped with
the sample's timestamp.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from . import config
from .schemas import schema_text

LOG = logging.getLogger(__name__)
DEFAULT_QUEUE_CAPACITY = 1024
# How long the exit hook waits for queued samples to be acknowledged.
EXIT_FLUSH_SECONDS = 10.0


def producer_defaults(bootstrap_servers: str) -> dict[str, object]:
    """The producer properties latentwatch uses, before environment overrides (as the Java side)."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "zstd",
        # Small batching delay: samples are not latency-critical, and batches compress better.
        "linger.ms": 20,
        "client.id": "latentwatch-publisher",
    }


def avro_serializer(registry: SchemaRegistryClient, topic_suffix: str) -> AvroSerializer:
    """Confluent's serializer for one topic's records, registering (or finding) the shipped schema text.

    ``auto.register.schemas`` posts the exact registered text: the registry answers the id it already
    has for it (the Java side registers the same text), so no second version appears.
    """
    return AvroSerializer(
        registry,
        schema_text(topic_suffix),
        conf={"auto.register.schemas": True, "normalize.schemas": False},
    )


@dataclass(frozen=True)
class Stats:
    published: int
    dropped: int
    failed: int
    queued: int
    sender_cpu_seconds: float


class Publisher:
    """Publishes ``HiddenStateSample`` dicts to the hidden-states topic.

    :param kafka_config: producer properties (see :func:`producer_defaults`; environment overrides
        are applied by :meth:`from_environment`)
    :param registry_url: the registry (see :func:`latentwatch.config.registry_url`)
    :param topic: the hidden-states topic (default: prefix from the environment + ``hidden-states``)
    :param queue_capacity: samples that may wait for the sender before new ones are dropped
    """

    def __init__(
        self,
        kafka_config: Mapping[str, object],
        registry_url: str,
        topic: str | None = None,
        queue_capacity: int = DEFAULT_QUEUE_CAPACITY,
    ) -> None:
        if queue_capacity <= 0:
            raise ValueError(f"queue capacity must be positive, got {queue_capacity}")
        props = dict(kafka_config)
        if str(props.get("enable.idempotence", True)).lower() != "true":
            LOG.warning("enable.idempotence was overridden to false: retries may duplicate samples")
        self.topic = topic or config.topic_prefix() + "hidden-states"
        self.registry_url = config.registry_url(registry_url)
        self._registry = SchemaRegistryClient({"url": self.registry_url})
        self._serializer = avro_serializer(self._registry, "hidden-states")
        self._producer = Producer({k: v for k, v in props.items()})
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=queue_capacity)
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._published = 0
        self._dropped = 0
        self._failed = 0
        self._in_flight = 0
        self._sender_cpu_ns = 0
        self._sender = threading.Thread(target=self._drain, name="latentwatch-publisher-sender", daemon=True)
        self._sender.start()
        # A script that never calls close() (the README's example) still sends what it queued: at interpreter
        # exit, before daemon threads stop, as the Java publisher's close does on its shutdown hook.
        ref = weakref.ref(self)

        def close_at_exit() -> None:
            p = ref()
            if p is not None:
                p.close(EXIT_FLUSH_SECONDS)

        self._close_at_exit = close_at_exit
        atexit.register(close_at_exit)

    @classmethod
    def from_environment(
        cls,
        bootstrap_servers: str = "127.0.0.1:9092",
        registry_url: str | None = None,
        queue_capacity: int = DEFAULT_QUEUE_CAPACITY,
    ) -> Publisher:
        """A publisher configured like the Java side: ``LATENTWATCH_BOOTSTRAP_SERVERS``,
        ``LATENTWATCH_KAFKA_*``, ``LATENTWATCH_REGISTRY_URL`` and ``LATENTWATCH_TOPIC_PREFIX``."""
        props = config.with_overrides(producer_defaults(bootstrap_servers))
        return cls(props, config.registry_url(registry_url), queue_capacity=queue_capacity)

    def publish(self, sample: dict[str, Any]) -> bool:
        """Hands a sample to the sender. Never blocks: False (and a drop counted) when the queue is
        full or the publisher is closing."""
        if self._closing.is_set():
            self._count("dropped")
            return False
        try:
            self._queue.put_nowait(sample)
            return True
        except queue.Full:
            self._count("dropped")
            return False

    def _count(self, what: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, "_" + what, getattr(self, "_" + what) + n)

    def _drain(self) -> None:
        while not self._closing.is_set() or not self._queue.empty():
            t0 = time.thread_time_ns()
            try:
                sample = self._queue.get(timeout=0.05)
            except queue.Empty:
                self._producer.poll(0)
                self._sender_cpu_ns += time.thread_time_ns() - t0
                continue
            self._send(sample)
            self._producer.poll(0)
            self._sender_cpu_ns += time.thread_time_ns() - t0

    def _send(self, sample: dict[str, Any]) -> None:
        self._count("in_flight")
        try:
            value = self._serializer(sample, SerializationContext(self.topic, MessageField.VALUE))
            ts = sample["timestampMs"]
            self._producer.produce(
                self.topic,
                key=str(sample["modelId"]).encode("utf-8"),
                value=value,
                timestamp=int(ts) if isinstance(ts, int) else int(ts.timestamp() * 1000),
                on_delivery=self._delivered,
            )
        except BufferError:
            # librdkafka's own buffer is full (broker slow or absent): wait a little, once.
            self._producer.poll(0.1)
            self._count("failed")
            self._count("in_flight", -1)
        except Exception as e:  # noqa: BLE001 - the sender thread must outlive any one sample
            # Serialization errors (a record that does not fit the schema), the registry unreachable
            # or answering an error, a closed producer.
            LOG.warning("sample %s not sent: %s", sample.get("requestId"), e)
            self._count("failed")
            self._count("in_flight", -1)

    def _delivered(self, err: object, _msg: object) -> None:
        with self._lock:
            self._in_flight -= 1
            if err is None:
                self._published += 1
            else:
                self._failed += 1
                LOG.debug("sample not published: %s", err)

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every queued sample has been acknowledged or failed; False on timeout."""
        deadline = time.monotonic() + timeout
        while not self._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.005)
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight == 0 and self._queue.empty():
                    return True
            self._producer.flush(max(0.0, min(0.1, deadline - time.monotonic())))
        with self._lock:
            return self._in_flight == 0 and self._queue.empty()

    def stats(self) -> Stats:
        with self._lock:
            return Stats(self._published, self._dropped, self._failed, self._queue.qsize(), self._sender_cpu_ns / 1e9)

    @property
    def published(self) -> int:
        return self.stats().published

    @property
    def dropped(self) -> int:
        return self.stats().dropped

    @property
    def failed(self) -> int:
        return self.stats().failed

    def close(self, timeout: float = 10.0) -> None:
        """Stops accepting samples, sends what is queued (within the timeout) and flushes the producer."""
        if self._closing.is_set():
            return
        self._closing.set()
        atexit.unregister(self._close_at_exit)
        self._sender.join(timeout)
        if self._sender.is_alive():
            n = 0
            while True:
                try:
                    self._queue.get_nowait()
                    n += 1
                except queue.Empty:
                    break
            self._count("dropped", n)
        self._producer.flush(timeout)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
