package io.latentwatch.trainer;

import io.latentwatch.embedded.testing.KafkaBackend;

/** {@link KafkaRefitContract} on the in-process KRaft broker. */
class KafkaRefitEmbeddedIT extends KafkaRefitContract {
    KafkaRefitEmbeddedIT() {
        super(KafkaBackend.Kind.EMBEDDED);
    }
}
