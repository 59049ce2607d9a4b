package io.latentwatch.trainer;

import io.latentwatch.embedded.testing.KafkaBackend;

/** {@link KafkaRefitContract} on a Kafka container (skipped where no Docker engine runs). */
class KafkaRefitContainerIT extends KafkaRefitContract {
    KafkaRefitContainerIT() {
        super(KafkaBackend.Kind.CONTAINER);
    }
}
