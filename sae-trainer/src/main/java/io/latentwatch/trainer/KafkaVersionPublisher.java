package io.latentwatch.trainer;

import io.latentwatch.schema.SaeVersion;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.function.Function;

/**
 * Publishes SaeVersion records with a Kafka producer, keyed {@code modelId|hook}, waiting for the
 * broker's acknowledgement. The value encoding is pluggable ({@code encode}): plain Avro binary by
 * default; pass the Kafka team's serde (Confluent wire format with a registry) when wiring the
 * system, or give a producer whose value serializer does it and an identity encoder.
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

    /** An idempotent producer (acks=all) with Avro binary values. */
    public static KafkaVersionPublisher<byte[]> avroBinary(Properties base) {
        Properties p = new Properties();
        p.putAll(base);
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaVersionPublisher<>(new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer()),
                KafkaVersionPublisher::avroBytes, TOPIC);
    }

    public static byte[] avroBytes(SaeVersion v) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<>(SaeVersion.class).write(v, enc);
            enc.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
