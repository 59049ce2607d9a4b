package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.KafkaBackend;

/** {@link MonitorContract} on an apache/kafka container; skipped where no Docker engine runs. */
class MonitorContainerIT extends MonitorContract {
    MonitorContainerIT() { super(KafkaBackend.Kind.CONTAINER); }
}
