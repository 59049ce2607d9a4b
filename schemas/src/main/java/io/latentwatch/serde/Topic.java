package io.latentwatch.serde;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A topic with the serdes of its key and value, as the Kafka Streams examples' {@code Topic<K, V>} carries them:
 * the topology ({@code Consumed.with(t.keySerde(), t.valueSerde())}) and the clients ({@link #producer},
 * {@link #consumer}) take name and serdes from one place, so a record is never written with one serde and read with
 * another. {@link TypedTopics} gives latentwatch's topics with their contracts.
 *
 * @param name       the topic's full name (prefix included, {@link Topics})
 * @param keySerde   the key's serde (latentwatch's keys are strings)
 * @param valueSerde the value's serde (an Avro contract in the Confluent wire format, or raw bytes)
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
    }

    /** A topic read or written as raw bytes under string keys: the hidden-states input (decoded in code, where a
     * failure is data) and the dead-letter topic (the original bytes). */
    public static Topic<String, byte[]> raw(String name) {
        return new Topic<>(name, Serdes.String(), Serdes.ByteArray());
    }

    /** The same contract under another name (a topic named on the command line, a copy of a topic). */
    public Topic<K, V> named(String other) {
        return new Topic<>(other, keySerde, valueSerde);
    }

    /** A producer writing this topic's key and value types; {@code config} as for {@link KafkaProducer}. */
    public KafkaProducer<K, V> producer(Map<String, ?> config) {
        return new KafkaProducer<>(new HashMap<>(config), keySerde.serializer(), valueSerde.serializer());
    }

    /** A consumer reading this topic's key and value types; {@code config} as for {@link KafkaConsumer}. */
    public KafkaConsumer<K, V> consumer(Map<String, ?> config) {
        return new KafkaConsumer<>(new HashMap<>(config), keySerde.deserializer(), valueSerde.deserializer());
    }

    /** A record for this topic. */
    public ProducerRecord<K, V> record(K key, V value) {
        return new ProducerRecord<>(name, key, value);
    }

    @Override
    public String toString() {
        return name;
    }
}
