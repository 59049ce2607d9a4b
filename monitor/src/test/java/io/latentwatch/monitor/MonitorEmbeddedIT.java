package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.KafkaBackend;

/** {@link MonitorContract} on the in-process KRaft broker. */
class MonitorEmbeddedIT extends MonitorContract {
    MonitorEmbeddedIT() { super(KafkaBackend.Kind.EMBEDDED); }
}
