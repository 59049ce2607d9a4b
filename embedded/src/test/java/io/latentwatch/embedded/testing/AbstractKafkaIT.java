package io.latentwatch.embedded.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.opentest4j.TestAbortedException;

/**
 * Base class for integration tests that need a real broker. A subclass holds the tests; two
 * one-line subclasses of it pick the broker, so the same assertions run on both:
 *
 * <pre>{@code
 * abstract class PipelineContract extends AbstractKafkaIT { @Test void ... }
 * class PipelineEmbeddedIT  extends PipelineContract { PipelineEmbeddedIT()  { super(KafkaBackend.Kind.EMBEDDED); } }
 * class PipelineContainerIT extends PipelineContract { PipelineContainerIT() { super(KafkaBackend.Kind.CONTAINER); } }
 * }</pre>
 *
 * One broker is started per test class ({@code PER_CLASS} lifecycle) and stopped after it; the
 * container variant is reported as skipped where no Docker engine runs. Tests should isolate
 * themselves with {@link #uniqueTopics()} rather than share topic names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractKafkaIT {

    private final KafkaBackend.Kind kind;
    protected KafkaBackend kafka;
    /** Why the broker could not be had (e.g. no Docker engine): every test is then skipped with it. */
    private TestAbortedException unavailable;

    protected AbstractKafkaIT(KafkaBackend.Kind kind) {
        this.kind = kind;
    }

    @BeforeAll
    void startKafka() {
        try {
            kafka = KafkaBackend.start(kind);
        } catch (TestAbortedException e) {
            unavailable = e;
        }
    }

    /** Reports each test as skipped, with the reason, rather than the class as silently empty. */
    @BeforeEach
    void requireKafka() {
        if (unavailable != null) {
            throw unavailable;
        }
    }

    @AfterAll
    void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    protected String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** Topic names with a fresh prefix, so tests in one class do not see each other's records. */
    protected Topics uniqueTopics() {
        return Topics.withPrefix("it-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    }

    protected Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrapServers()));
    }

    /** Idempotent producer settings (acks=all), as latentwatch's producers use. */
    protected Map<String, Object> producerConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        return c;
    }

    /** A consumer in a fresh group reading from the earliest offset, committed data only. */
    protected Map<String, Object> consumerConfig() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return c;
    }

    /**
     * Reads {@code topics} until {@code done} holds for what was read, or fails after
     * {@code timeout} listing what did arrive.
     */
    protected <K, V> List<ConsumerRecord<K, V>> consumeUntil(Collection<String> topics, Deserializer<K> keys, Deserializer<V> values,
            Predicate<List<ConsumerRecord<K, V>>> done, Duration timeout) {
        List<ConsumerRecord<K, V>> got = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(consumerConfig(), keys, values)) {
            consumer.subscribe(topics);
            while (!done.test(got)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("After " + timeout + " read " + got.size() + " records from " + topics
                            + " on " + kafka + " without the expected ones: " + got);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
        }
        return got;
    }
}
