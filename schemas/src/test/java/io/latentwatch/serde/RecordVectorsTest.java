package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/**
 * The shared test vectors of every topic's records ({@code src/test/resources/vectors/records.json}),
 * which the Python package's tests check too: for each record its topic, subject, the registered
 * schema, the record in Avro's JSON encoding and the exact Avro binary after the 5-byte header.
 * This test checks that the serde writes exactly those bytes, that they decode to the record and
 * that the JSON form decodes to it as well. Regenerate (after a deliberate schema change) with
 * {@code -Dlatentwatch.vectors.write=true}.
 */
class RecordVectorsTest {
    static final Path FILE = Path.of("src/test/resources/vectors/records.json");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Test
    void theSerdeWritesTheBytesOfTheSharedVectors() throws IOException {
        if (Boolean.getBoolean("latentwatch.vectors.write")) {
            write();
        }
        JsonNode file = JSON.readTree(FILE.toFile());
        Map<String, Schema> avsc = SchemaFiles.load(Path.of("src/main/avro"));
        Topics topics = Topics.defaults();
        Map<String, SampleRecords.Sample> byTopic = new LinkedHashMap<>();
        for (SampleRecords.Sample s : SampleRecords.all(topics)) {
            byTopic.put(s.topic(), s);
        }
        assertEquals(byTopic.size(), file.get("records").size(), "one vector per topic");
        for (JsonNode v : file.get("records")) {
            SampleRecords.Sample s = byTopic.get(v.get("topic").asText());
            String name = s.type().getSimpleName();
            Schema registered = RegisteredSchemas.of(s.value().getSchema());
            assertEquals(registered.toString(), v.get("schema").asText(), name + ": the registered schema text");
            assertEquals(avsc.get(registered.getFullName()).toString(), registered.toString(),
                    name + ": the registered text is the .avsc files' schema, self-contained");
            assertEquals(s.topic() + "-value", v.get("subject").asText());

            byte[] framed = serialize(s);
            byte[] avro = Arrays.copyOfRange(framed, WireFormat.HEADER_SIZE, framed.length);
            assertEquals(v.get("avro_hex").asText(), HexFormat.of().formatHex(avro), name + ": Avro binary after the header");

            SpecificDatumReader<SpecificRecord> reader = new SpecificDatumReader<>(registered, s.value().getSchema());
            assertEquals(s.value(), reader.read(null, DecoderFactory.get().binaryDecoder(avro, null)), name + " from the bytes");
            assertEquals(s.value(), reader.read(null, DecoderFactory.get().jsonDecoder(registered, v.get("json").asText())),
                    name + " from the JSON encoding");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static byte[] serialize(SampleRecords.Sample s) {
        Serializer ser = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED).serializer((Class) s.type());
        try {
            return ser.serialize(s.topic(), s.value());
        } finally {
            ser.close();
        }
    }

    /** Writes the file from {@link SampleRecords} (Avro's own encoders; the test then checks the serde against it). */
    private static void write() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("about", "Exact bytes of one record per latentwatch topic, checked by schemas' RecordVectorsTest and by "
                + "python/tests/test_vectors.py. avro_hex is the Avro binary that follows the 5-byte Confluent header "
                + "(magic byte 0, 4-byte big-endian schema id: the registry's content id of the subject's schema). "
                + "json is the record in Avro's JSON encoding under that schema.");
        ArrayNode records = root.putArray("records");
        for (SampleRecords.Sample s : SampleRecords.all(Topics.defaults())) {
            Schema registered = RegisteredSchemas.of(s.value().getSchema());
            ByteArrayOutputStream bin = new ByteArrayOutputStream();
            BinaryEncoder be = EncoderFactory.get().binaryEncoder(bin, null);
            SpecificDatumWriter<SpecificRecord> w = new SpecificDatumWriter<>(registered, SpecificData.getForSchema(s.value().getSchema()));
            w.write(s.value(), be);
            be.flush();
            ByteArrayOutputStream js = new ByteArrayOutputStream();
            JsonEncoder je = EncoderFactory.get().jsonEncoder(registered, js);
            w.write(s.value(), je);
            je.flush();
            ObjectNode v = records.addObject();
            v.put("topic", s.topic());
            v.put("subject", s.topic() + "-value");
            v.put("record", s.type().getSimpleName());
            v.put("schema", registered.toString());
            v.put("json", js.toString(StandardCharsets.UTF_8));
            v.put("avro_hex", HexFormat.of().formatHex(bin.toByteArray()));
        }
        Files.createDirectories(FILE.getParent());
        JSON.writeValue(FILE.toFile(), root);
        assertTrue(Files.size(FILE) > 0);
    }
}
