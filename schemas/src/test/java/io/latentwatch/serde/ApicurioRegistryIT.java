package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The serde against the real Apicurio Registry 3 server: every record type round-trips, and the
 * 4-byte id in the bytes is the id that the registry's Confluent-compatible API
 * ({@code /apis/ccompat/v7}) serves for subject {@code <topic>-value} — what a Confluent
 * serializer or deserializer in another language would use.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApicurioRegistryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private ApicurioRegistryProcess registry;

    @BeforeAll
    void startRegistry() throws Exception {
        String home = System.getProperty(ApicurioRegistryProcess.HOME_PROPERTY, "target/apicurio-registry");
        Path jar = ApicurioRegistryProcess.findRunnerJar(Path.of(home));
        assertNotNull(jar, "No *-runner.jar under " + home + ": the build's pre-integration-test phase unpacks "
                + "io.apicurio:apicurio-registry-app:all:tar.gz there (run `./mvnw verify -pl schemas`)");
        registry = ApicurioRegistryProcess.start(jar, Duration.ofSeconds(90));
        System.out.println("Apicurio Registry " + registry.baseUrl + " ready in " + registry.startupMillis + " ms");
    }

    @AfterAll
    void stopRegistry() {
        if (registry != null) {
            registry.close();
            assertFalse(registry.isAlive(), "the registry JVM must be gone");
        }
    }

    @Test
    void everyRecordTypeRoundTripsAndTheIdInTheBytesIsTheConfluentApiId() throws Exception {
        Topics topics = Topics.withPrefix("it.");
        LatentwatchSerdes producerSide = LatentwatchSerdes.forRegistry(registry.baseUrl);
        Set<Integer> ids = new HashSet<>();
        // The same schema under one more subject first: a new version (globalId) but the same
        // content (contentId), so from here on the two kinds of id differ and the test can tell
        // which one is written.
        serialize(producerSide, new SampleRecords.Sample("it.warm-up", HiddenStateSample.class, SampleRecords.hiddenState()));
        boolean globalDiffersFromContent = false;
        for (SampleRecords.Sample s : SampleRecords.all(topics)) {
            String name = s.type().getSimpleName();
            byte[] bytes = serialize(producerSide, s);
            int idInBytes = WireFormat.schemaId(bytes);
            ids.add(idInBytes);

            // A fresh factory has an empty cache: it must fetch the writer schema by id from the server.
            Object back = deserialize(LatentwatchSerdes.forRegistry(registry.baseUrl), s, bytes);
            assertEquals(s.value(), back, name + " after a round trip through the registry");

            // What a Confluent client sees for the subject...
            JsonNode latest = get("/apis/ccompat/v7/subjects/" + s.topic() + "-value/versions/latest");
            assertEquals(s.topic() + "-value", latest.get("subject").asText());
            assertEquals(idInBytes, latest.get("id").asInt(), name + ": id in the bytes vs the ccompat API");
            // ...and for the id it finds in the bytes (what a Confluent deserializer fetches).
            JsonNode byId = get("/apis/ccompat/v7/schemas/ids/" + idInBytes);
            Schema writer = new Schema.Parser().parse(byId.get("schema").asText());
            // The registered text is the .avsc schema (no Java-only "avro.java.string" hints).
            assertEquals(RegisteredSchemas.text(s.value().getSchema()), writer.toString(), name);
            assertFalse(byId.get("schema").asText().contains("avro.java.string"), name);
            // A Confluent-style consumer: skip the 5-byte header, decode Avro with that schema.
            var reader = new SpecificDatumReader<>(writer, s.value().getSchema());
            assertEquals(s.value(), reader.read(null, DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null)), name);
            // Apicurio's core API: the id in the bytes is the version's contentId, not its globalId.
            JsonNode meta = get("/apis/registry/v3/groups/default/artifacts/" + s.topic() + "-value/versions/branch=latest");
            assertEquals(meta.get("contentId").asLong(), idInBytes, name + ": the bytes carry the contentId");
            globalDiffersFromContent |= meta.get("globalId").asLong() != meta.get("contentId").asLong();
            System.out.println(name + ": subject " + s.topic() + "-value, schema id (contentId) " + idInBytes
                    + ", globalId " + meta.get("globalId").asLong());
        }
        assertTrue(globalDiffersFromContent, "the test must have told contentId and globalId apart");
        assertEquals(SampleRecords.all(topics).size(), ids.size(), "each record type has its own schema id");
    }

    /**
     * The other direction: a producer in another language registers the .avsc through the
     * Confluent API (as Confluent's serializers do) and frames its bytes with the id it got back;
     * our deserializer reads them.
     */
    @Test
    void recordsFramedWithAnIdRegisteredThroughTheConfluentApiAreReadByOurDeserializer() throws Exception {
        String subject = "it.confluent-producer-value";
        Schema avsc = SchemaFiles.load(Path.of("src/main/avro")).get(Alert.SCHEMA$.getFullName());
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("schema", avsc.toString()));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(registry.baseUrl + "/apis/ccompat/v7/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        int id = JSON.readTree(r.body()).get("id").asInt();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        // Encoded with the .avsc (not the class schema), timestamps converted as the generated class does.
        new SpecificDatumWriter<Alert>(avsc, SpecificData.getForClass(Alert.class)).write(SampleRecords.alert(), enc);
        enc.flush();

        Deserializer<Alert> de = LatentwatchSerdes.forRegistry(registry.baseUrl).deserializer(Alert.class);
        try {
            assertEquals(SampleRecords.alert(), de.deserialize("it.confluent-producer", out.toByteArray()));
        } finally {
            de.close();
        }
        System.out.println("Confluent-style producer: subject " + subject + ", id " + id + " read back");
    }

    /**
     * What a Confluent client in another language does with the shipped .avsc text: look its id up
     * under the subject (POST /subjects/{subject}) and register it (POST .../versions). Both answer
     * the id the Java serde wrote, and no second version appears.
     */
    @Test
    void aClientLookingUpTheAvscTextFindsTheIdTheJavaSerdeRegistered() throws Exception {
        String topic = "it.lookup";
        byte[] bytes = serialize(LatentwatchSerdes.forRegistry(registry.baseUrl + "/apis/ccompat/v7"),
                new SampleRecords.Sample(topic, HiddenStateSample.class, SampleRecords.hiddenState()));
        int id = WireFormat.schemaId(bytes);
        Schema avsc = SchemaFiles.load(Path.of("src/main/avro")).get(HiddenStateSample.SCHEMA$.getFullName());
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("schema", avsc.toString()));
        for (String path : List.of("/apis/ccompat/v7/subjects/" + topic + "-value", "/apis/ccompat/v7/subjects/" + topic + "-value/versions")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(registry.baseUrl + path))
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + " -> " + r.body());
            assertEquals(id, JSON.readTree(r.body()).get("id").asInt(), path);
        }
        assertEquals(1, get("/apis/ccompat/v7/subjects/" + topic + "-value/versions").size(), "one version only");
    }

    @Test
    void anUnknownSchemaIdIsReportedAsNotFound() {
        Deserializer<HiddenStateSample> de = LatentwatchSerdes.forRegistry(registry.baseUrl).deserializer(HiddenStateSample.class);
        try {
            var e = assertThrows(SerializationException.class,
                    () -> de.deserialize("it.unknown", new byte[] {0, 0, 0x0f, 0x12, 0x06, 2, 'a'}));
            assertTrue(e.getMessage().contains("schema id 987654 not found"), e.getMessage());
        } finally {
            de.close();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] serialize(LatentwatchSerdes serdes, SampleRecords.Sample s) {
        Serializer ser = serdes.serializer((Class) s.type());
        try {
            return ser.serialize(s.topic(), s.value());
        } finally {
            ser.close();
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object deserialize(LatentwatchSerdes serdes, SampleRecords.Sample s, byte[] bytes) {
        Deserializer<? extends SpecificRecord> de = serdes.deserializer((Class) s.type());
        try {
            return de.deserialize(s.topic(), bytes);
        } finally {
            de.close();
        }
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(registry.baseUrl + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), "GET " + path + " -> " + r.body());
        return JSON.readTree(r.body());
    }
}
