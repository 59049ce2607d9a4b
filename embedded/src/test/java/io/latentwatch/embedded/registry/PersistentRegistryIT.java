package io.latentwatch.embedded.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.Severity;
import io.latentwatch.serde.AvroJson;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.WireFormat;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry with KafkaSQL storage on a persistent broker: a schema registered by the Java serde
 * before a restart of both the registry and the broker still decodes the old records afterwards,
 * the Confluent-compatible API serves the same id for it, and a schema registered after the
 * restart gets a new id (an id reused after a restart would make old records decode with the
 * wrong schema).
 */
class PersistentRegistryIT {

    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    @Test
    void schemasAndIdsSurviveARestartOfRegistryAndBroker() throws Exception {
        Path home = Path.of(System.getProperty("apicurio.registry.home", "target/apicurio-registry"));
        Path jar = ApicurioRegistryServer.findRunnerJar(home);
        assertNotNull(jar, "no runner jar under " + home + ": the pre-integration-test phase unpacks it there");
        Topics topics = Topics.withPrefix("prt.");
        Alert alert = alert();
        int alertId;
        String clusterId;

        try (EmbeddedKafka kafka = EmbeddedKafka.startPersistent(data.resolve("kafka"), 0, Map.of("auto.create.topics.enable", "false"))) {
            clusterId = kafka.clusterId();
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, TopicSettings.of(1));
            }
            try (ApicurioRegistryServer registry = ApicurioRegistryServer.start(settings(jar, kafka), Duration.ofSeconds(90))) {
                byte[] bytes = LatentwatchSerdes.forRegistry(registry.baseUrl()).serializer(Alert.class).serialize(topics.alerts(), alert);
                alertId = WireFormat.schemaId(bytes);
                produce(kafka, topics.alerts(), bytes);
                assertTrue(confluentSchema(registry, alertId).contains("\"Alert\""), "the ccompat API serves the id the serde wrote");
            }
        }

        try (EmbeddedKafka kafka = EmbeddedKafka.startPersistent(data.resolve("kafka"), 0, Map.of("auto.create.topics.enable", "false"))) {
            assertEquals(clusterId, kafka.clusterId(), "the broker restarts as the same cluster");
            try (ApicurioRegistryServer registry = ApicurioRegistryServer.start(settings(jar, kafka), Duration.ofSeconds(90))) {
                LatentwatchSerdes fresh = LatentwatchSerdes.forRegistry(registry.baseUrl());
                List<byte[]> values = consumeAll(kafka, topics.alerts());
                assertEquals(1, values.size(), "the record written before the restart is still on the topic");
                assertEquals(alertId, WireFormat.schemaId(values.get(0)));
                assertEquals(alert, fresh.deserializer(Alert.class).deserialize(topics.alerts(), values.get(0)),
                        "the old record decodes through the restarted registry");
                assertTrue(confluentSchema(registry, alertId).contains("\"Alert\""), "the old id still names the Alert schema");
                // What latentwatch consume does: the writer's schema from the registry, no generated class.
                GenericRecord generic = fresh.genericDeserializer().deserialize(topics.alerts(), values.get(0));
                JsonNode json = AvroJson.plain().toJson(generic, generic.getSchema());
                assertEquals("stories260K", json.get("modelId").asText());
                assertEquals("CRITICAL", json.get("severity").asText());
                assertEquals("2025-11-23T12:13:20.123Z", json.get("timestampMs").asText());

                byte[] example = fresh.serializer(LabeledExample.class).serialize(topics.examples(), example());
                int exampleId = WireFormat.schemaId(example);
                assertNotEquals(alertId, exampleId, "a schema registered after the restart must not reuse an old id");
                assertTrue(exampleId > alertId, "ids continue after the restart: " + exampleId + " after " + alertId);
                assertTrue(confluentSchema(registry, exampleId).contains("\"LabeledExample\""));
            }
        }
    }

    private ApicurioRegistryServer.Settings settings(Path jar, EmbeddedKafka kafka) throws Exception {
        return new ApicurioRegistryServer.Settings(jar, kafka.bootstrapServers(), "127.0.0.1", freePort(), null, null,
                data.resolve("registry.log"));
    }

    private String confluentSchema(ApicurioRegistryServer registry, int id) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(registry.confluentApiUrl() + "/schemas/ids/" + id)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body()).path("schema").asText(); // the schema is a JSON string in the response
    }

    private static void produce(EmbeddedKafka kafka, String topic, byte[] value) throws Exception {
        Map<String, Object> p = Map.of("bootstrap.servers", kafka.bootstrapServers(), "enable.idempotence", true, "acks", "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "m|h", value)).get();
        }
    }

    private static List<byte[]> consumeAll(EmbeddedKafka kafka, String topic) {
        Map<String, Object> c = Map.of("bootstrap.servers", kafka.bootstrapServers(), "group.id", "prt-" + System.nanoTime(),
                "auto.offset.reset", "earliest", "isolation.level", "read_committed");
        List<byte[]> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Alert alert() {
        Instant t = Instant.ofEpochMilli(1_763_900_000_123L);
        return Alert.newBuilder().setAlertId("a-1").setModelId("stories260K").setModelVersion("abc").setHook("blocks.3.hook_resid_post")
                .setDetector("activation-norm").setSeverity(Severity.CRITICAL).setScore(7.5).setThreshold(4.0)
                .setRequestId("req-42").setNodeId("node-1").setPosition(3).setSaeVersion(null)
                .setTimestampMs(t).setSampleTimestampMs(t.minusMillis(5))
                .setSummary("activation norm z=7.5 above 4.0").setAttributes(Map.of("norm", "31.2")).build();
    }

    private static LabeledExample example() {
        return LabeledExample.newBuilder().setPrompt("When Mary and John went to the store, John gave a drink to")
                .setLabel(ExampleLabel.POSITIVE).setTask("ioi").setSource("it").setModelId("gpt2")
                .setTimestampMs(Instant.ofEpochMilli(1_763_900_000_123L)).build();
    }
}
