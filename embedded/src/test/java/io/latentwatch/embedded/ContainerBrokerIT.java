package io.latentwatch.embedded;

import io.latentwatch.embedded.testing.KafkaBackend;

/** {@link BrokerContract} on an apache/kafka container; skipped where no Docker engine runs. */
class ContainerBrokerIT extends BrokerContract {

    ContainerBrokerIT() {
        super(KafkaBackend.Kind.CONTAINER);
    }
}
