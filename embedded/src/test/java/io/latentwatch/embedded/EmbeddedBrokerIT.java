package io.latentwatch.embedded;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import io.latentwatch.embedded.testing.KafkaBackend;
import org.junit.jupiter.api.Test;

/** {@link BrokerContract} on the in-process broker, plus what only the embedded broker promises. */
class EmbeddedBrokerIT extends BrokerContract {

    EmbeddedBrokerIT() {
        super(KafkaBackend.Kind.EMBEDDED);
    }

    @Test
    void aSecondBrokerGetsItsOwnPortsAndCloseDeletesItsLogDirectory() {
        Path dir;
        try (EmbeddedKafka second = EmbeddedKafka.start()) {
            dir = second.logDir();
            assertTrue(Files.isDirectory(dir));
            assertTrue(second.bootstrapServers().startsWith("127.0.0.1:"));
            assertNotEquals(bootstrapServers(), second.bootstrapServers());
            second.close();
            second.close(); // idempotent
        }
        assertFalse(Files.exists(dir), dir + " should be deleted on close");
    }
}
