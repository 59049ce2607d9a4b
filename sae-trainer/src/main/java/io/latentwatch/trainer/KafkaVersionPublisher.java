package io.latentwatch.trainer;

import io.latentwatch.schema.SaeVersion;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topic;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Publishes SaeVersion records with a Kafka producer, keyed {@code modelId|hook}, to the compacted
 * {@code latentwatch.sae-versions} topic, waiting for the broker's acknowledgement. The default
 * ({@link #create}) is what the monitor reads: an idempotent producer (acks=all) whose values are
 * in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary) through
 * {@link LatentwatchSerdes}. The value encoding stays pluggable ({@code encode}) for producers whose
 * serializer takes another type.
 */
public final class KafkaVersionPublisher<V> implements VersionPublisher {
    private final Producer<String, V> producer;
    private final Function<SaeVersion, V> encode;
    private final String topic;

    public KafkaVersionPublisher(Producer<String, V> producer, Function<SaeVersion, V> encode, String topic) {
        this.producer = producer;
        this.encode = encode;
        this.topic = topic;
    }

    /**
     * The default publisher: an idempotent producer (acks=all) writing SaeVersion values in the
     * Confluent wire format via {@code serdes} to {@code topics.saeVersions()}.
     *
     * @param base Kafka producer properties (at least bootstrap.servers); idempotence and acks are
     *             forced, since a version announcement must be written exactly once and durably
     */
    public static KafkaVersionPublisher<SaeVersion> create(Map<String, ?> base, LatentwatchSerdes serdes, Topics topics) {
        Map<String, Object> p = new HashMap<>(base);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "latentwatch-sae-trainer");
        Topic<String, SaeVersion> t = TypedTopics.of(topics, serdes).saeVersions();
        return new KafkaVersionPublisher<>(t.producer(p), Function.identity(), t.name());
    }

    /** The topic records go to. */
    public String topic() {
        return topic;
    }

    @Override
    public void publish(SaeVersion version) throws Exception {
        producer.send(new ProducerRecord<>(topic, VersionPublisher.key(version), encode.apply(version))).get();
    }

    @Override
    public void close() {
        producer.close();
    }
}
