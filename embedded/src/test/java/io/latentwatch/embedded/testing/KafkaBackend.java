package io.latentwatch.embedded.testing;

import io.latentwatch.embedded.EmbeddedKafka;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A running Kafka broker for an integration test: the in-process {@link EmbeddedKafka}, or a
 * Testcontainers {@code apache/kafka} container where a Docker engine runs. Tests written against
 * this interface run unchanged on both.
 */
public interface KafkaBackend extends AutoCloseable {

    /** Which broker to start. */
    enum Kind {
        /** {@link EmbeddedKafka}: always available. */
        EMBEDDED,
        /** Testcontainers' {@link KafkaContainer}; skipped (not failed) without a Docker engine. */
        CONTAINER
    }

    /**
     * The image for {@link Kind#CONTAINER}: system property {@value}, default
     * {@code apache/kafka:<the kafka-clients version on the classpath>}.
     */
    String IMAGE_PROPERTY = "latentwatch.kafka.image";

    Kind kind();

    String bootstrapServers();

    @Override
    void close();

    /**
     * Starts a broker of the given kind. For {@link Kind#CONTAINER} without a Docker engine this
     * aborts the calling test or class through a JUnit assumption, so it is reported as skipped.
     */
    static KafkaBackend start(Kind kind) {
        return switch (kind) {
            case EMBEDDED -> embedded();
            case CONTAINER -> container();
        };
    }

    static KafkaBackend embedded() {
        EmbeddedKafka kafka = EmbeddedKafka.start();
        return new KafkaBackend() {
            @Override
            public Kind kind() {
                return Kind.EMBEDDED;
            }

            @Override
            public String bootstrapServers() {
                return kafka.bootstrapServers();
            }

            @Override
            public void close() {
                kafka.close();
            }

            @Override
            public String toString() {
                return "EmbeddedKafka[" + kafka.bootstrapServers() + "]";
            }
        };
    }

    static KafkaBackend container() {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "No Docker engine is reachable: the Testcontainers Kafka variant is skipped (the embedded variant ran the same tests)");
        String image = System.getProperty(IMAGE_PROPERTY, "apache/kafka:" + AppInfoParser.getVersion());
        KafkaContainer container = new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"));
        container.start();
        return new KafkaBackend() {
            @Override
            public Kind kind() {
                return Kind.CONTAINER;
            }

            @Override
            public String bootstrapServers() {
                return container.getBootstrapServers();
            }

            @Override
            public void close() {
                container.stop();
            }

            @Override
            public String toString() {
                return "KafkaContainer[" + image + " @ " + container.getBootstrapServers() + "]";
            }
        };
    }
}
