package io.latentwatch.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.WireFormat;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What latentwatch needs from a broker, checked on every {@link KafkaBackend}: its topics with
 * their configuration, Avro records in the Confluent wire format through the serde, and
 * transactions (the basis of Kafka Streams' exactly_once_v2).
 */
abstract class BrokerContract extends AbstractKafkaIT {

    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry("embedded");

    BrokerContract(KafkaBackend.Kind kind) {
        super(kind);
    }

    @Test
    void createsTheTopicsWithSaeVersionsAndIncidentsCompacted() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) {
            assertEquals(topics.all(), topics.create(admin, 2, (short) 1));
            assertEquals(List.of(), topics.create(admin, 2, (short) 1), "creating again is a no-op");
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertTrue(names.containsAll(topics.all()), names.toString());
            for (String t : topics.all()) {
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, t);
                Config c = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
                assertEquals(t.equals(topics.saeVersions()) || t.equals(topics.incidents()) ? "compact" : "delete", c.get("cleanup.policy").value(), t);
                assertEquals(2, admin.describeTopics(List.of(t)).allTopicNames().get(30, TimeUnit.SECONDS).get(t).partitions().size());
            }
        }
    }

    @Test
    void hiddenStateSamplesTravelInTheConfluentWireFormat() {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) {
            topics.create(admin, 1, (short) 1);
        }
        List<HiddenStateSample> sent = List.of(sample("r1"), sample("r2"), sample("r3"));
        try (KafkaProducer<String, HiddenStateSample> producer = new KafkaProducer<>(producerConfig(),
                new StringSerializer(), serdes.serializer(HiddenStateSample.class))) {
            for (HiddenStateSample s : sent) {
                producer.send(new ProducerRecord<>(topics.hiddenStates(), s.getModelId(), s));
            }
            producer.flush();
        }
        // The raw bytes on the broker carry the 5-byte Confluent header...
        List<ConsumerRecord<String, byte[]>> raw = consumeUntil(List.of(topics.hiddenStates()), new StringDeserializer(),
                new ByteArrayDeserializer(), got -> got.size() == sent.size(), Duration.ofSeconds(30));
        for (ConsumerRecord<String, byte[]> r : raw) {
            assertTrue(WireFormat.isFramed(r.value()));
            assertEquals(WireFormat.schemaId(raw.get(0).value()), WireFormat.schemaId(r.value()));
        }
        // ...and decode back to what was sent, in order.
        List<ConsumerRecord<String, HiddenStateSample>> decoded = consumeUntil(List.of(topics.hiddenStates()),
                new StringDeserializer(), serdes.deserializer(HiddenStateSample.class),
                got -> got.size() == sent.size(), Duration.ofSeconds(30));
        assertEquals(sent, decoded.stream().map(ConsumerRecord::value).toList());
    }

    @Test
    void abortedTransactionsAreInvisibleToReadCommittedConsumers() {
        String topic = uniqueTopics().alerts();
        Map<String, Object> c = new HashMap<>(producerConfig());
        c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-tx-" + topic);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(c, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
        }
        List<ConsumerRecord<String, String>> got = consumeUntil(List.of(topic), new StringDeserializer(), new StringDeserializer(),
                l -> !l.isEmpty(), Duration.ofSeconds(30));
        assertEquals(List.of("committed"), got.stream().map(ConsumerRecord::value).toList());
    }

    private static HiddenStateSample sample(String requestId) {
        return HiddenStateSample.newBuilder().setModelId("stories260K").setModelVersion("abc").setNodeId("n1")
                .setRequestId(requestId).setTimestampMs(Instant.ofEpochMilli(1_700_000_000_000L))
                .setTokenIds(List.of(1, 2, 3)).setTokenText(null)
                .setSampling(SamplingMetadata.newBuilder().setSampleRate(1.0).setPositionPolicy("last").build())
                .setActivations(List.of(Activation.newBuilder().setHook("blocks.0.hook_resid_post").setPosition(2)
                        .setDtype(Dtype.F16).setShape(List.of(2)).setData(ByteBuffer.wrap(new byte[] {0, 0x3C, 0, 0x40})).build()))
                .build();
    }
}
