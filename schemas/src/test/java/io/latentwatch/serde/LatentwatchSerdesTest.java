package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LabeledExample;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** The serde factory against the embedded registry: wire format, ids, round trips, errors. */
class LatentwatchSerdesTest {

    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry("embedded");
    private final EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.shared();

    @Test
    void everyRecordTypeRoundTripsInTheConfluentWireFormat() throws IOException {
        Topics topics = Topics.withPrefix("serdes-test.");
        for (SampleRecords.Sample s : SampleRecords.all(topics)) {
            byte[] bytes = roundTrip(s);
            // Framing: magic byte 0, 4-byte id, then exactly Avro's own binary encoding.
            assertEquals(0, bytes[0], s.type().getSimpleName());
            int id = WireFormat.schemaId(bytes);
            byte[] avro = Arrays.copyOfRange(bytes, 5, bytes.length);
            assertArrayEquals(plainAvro(s.value()), avro, s.type().getSimpleName() + ": payload after the header is plain Avro binary");
            // The id is the contentId the registry holds for subject <topic>-value.
            EmbeddedSchemaRegistry.Version v = registry.latest(s.topic() + "-value").orElseThrow();
            assertEquals(v.contentId(), id, s.type().getSimpleName());
            // The registered schema is the full (dereferenced) schema of the class, as the .avsc
            // text: without the generated class's Java-only "avro.java.string" hints.
            String registered = registry.getSchemaByContentId(v.contentId());
            assertEquals(RegisteredSchemas.text(s.value().getSchema()), new Schema.Parser().parse(registered).toString());
            assertFalse(registered.contains("avro.java.string"), registered);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private byte[] roundTrip(SampleRecords.Sample s) {
        Serde serde = serdes.serde((Class) s.type());
        byte[] bytes = serde.serializer().serialize(s.topic(), s.value());
        Object back = serde.deserializer().deserialize(s.topic(), bytes);
        assertEquals(s.value(), back, s.type().getSimpleName() + " after a round trip");
        return bytes;
    }

    private static byte[] plainAvro(SpecificRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(r.getSchema()).write(r, enc);
        enc.flush();
        return out.toByteArray();
    }

    @Test
    void theSameSchemaHasOneIdAcrossSubjectsAndCallsAndADifferentSchemaAnother() {
        var ser = serdes.serializer(Alert.class);
        int a = WireFormat.schemaId(ser.serialize("ids-test.a", SampleRecords.alert()));
        int b = WireFormat.schemaId(ser.serialize("ids-test.b", SampleRecords.alert()));
        int again = WireFormat.schemaId(serdes.serializer(Alert.class).serialize("ids-test.a", SampleRecords.alert()));
        int other = WireFormat.schemaId(serdes.serializer(LabeledExample.class).serialize("ids-test.c", SampleRecords.example()));
        assertEquals(a, b, "contentId is shared by subjects with identical schemas");
        assertEquals(a, again);
        assertNotEquals(a, other);
        assertEquals(1, Integer.parseInt(registry.latest("ids-test.a-value").orElseThrow().version()),
                "re-registering the same schema finds the existing version instead of adding one");
    }

    @Test
    void concurrentFirstUsesRegisterOneVersionWithOneId() throws Exception {
        int threads = 8;
        var pool = Executors.newFixedThreadPool(threads);
        var start = new CountDownLatch(1);
        try {
            var futures = new ArrayList<Future<Integer>>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    var ser = serdes.serializer(Explanation.class);
                    start.await();
                    return WireFormat.schemaId(ser.serialize("concurrent-test", SampleRecords.explanation()));
                }));
            }
            start.countDown();
            var ids = new HashSet<Integer>();
            for (var f : futures) {
                ids.add(f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1, ids.size(), "one schema, one id: " + ids);
            var latest = registry.latest("concurrent-test-value").orElseThrow();
            assertEquals("1", latest.version(), "racing first uses must not create extra versions");
            assertEquals(latest.contentId(), ids.iterator().next().longValue());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void serdesNamedByClassInKafkaPropertiesWriteTheSameBytes() {
        // What a producer/Streams app configured only through properties would do.
        Map<String, Object> props = new HashMap<>(serdes.kafkaConfig());
        try (AvroKafkaSerializer<HiddenStateSample> ser = new AvroKafkaSerializer<>();
             AvroKafkaDeserializer<HiddenStateSample> de = new AvroKafkaDeserializer<>()) {
            ser.configure(props, false);
            de.configure(new HashMap<>(serdes.kafkaConfig()), false);
            byte[] viaProps = ser.serialize("props-test", SampleRecords.hiddenState());
            byte[] viaFactory = serdes.serializer(HiddenStateSample.class).serialize("props-test", SampleRecords.hiddenState());
            assertArrayEquals(viaFactory, viaProps);
            assertEquals(SampleRecords.hiddenState(), de.deserialize("props-test", viaFactory));
        }
    }

    @Test
    void theCachingDatumProviderWritesAndReadsExactlyWhatApicuriosDefaultDoesOnEveryThread() throws Exception {
        Map<String, Object> plain = new HashMap<>(serdes.kafkaConfig());
        plain.put(AvroSerdeConfig.AVRO_DATUM_PROVIDER,
                DefaultAvroDatumProvider.class.getName());
        try (AvroKafkaSerializer<HiddenStateSample> ser = new AvroKafkaSerializer<>();
             AvroKafkaDeserializer<HiddenStateSample> de = new AvroKafkaDeserializer<>()) {
            ser.configure(plain, false);
            de.configure(new HashMap<>(plain), false);
            var cachedSer = serdes.serializer(HiddenStateSample.class);
            var cachedDe = serdes.deserializer(HiddenStateSample.class);
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            HiddenStateSample s = SampleRecords.hiddenState();
                            s.setRequestId("r-" + i);
                            byte[] cached = cachedSer.serialize("provider-test", s);
                            byte[] reference;
                            synchronized (ser) { reference = ser.serialize("provider-test", s); }
                            // The same Avro bytes; the ids differ since the default provider registers the
                            // class's schema text and ours the .avsc text (RegisteredSchemas).
                            assertArrayEquals(Arrays.copyOfRange(reference, 5, reference.length),
                                    Arrays.copyOfRange(cached, 5, cached.length), "record " + i);
                            assertEquals(s, cachedDe.deserialize("provider-test", reference));
                            synchronized (de) { assertEquals(s, de.deserialize("provider-test", cached)); }
                        }
                        return null;
                    }));
                }
                for (var r : runs) r.get();
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aRecordOfTheWrongTypeIsASerializationExceptionNamingBothTypes() {
        byte[] alert = serdes.serializer(Alert.class).serialize("wrong-type", SampleRecords.alert());
        var e = assertThrows(SerializationException.class,
                () -> serdes.deserializer(HiddenStateSample.class).deserialize("wrong-type", alert));
        assertTrue(e.getMessage().contains("HiddenStateSample") && e.getMessage().contains("Alert"), e.getMessage());
    }

    @Test
    void bytesWithoutTheMagicByteOrWithAnUnknownIdAreRejected() {
        var de = serdes.deserializer(HiddenStateSample.class);
        var noMagic = assertThrows(SerializationException.class, () -> de.deserialize("garbage", new byte[] {1, 2, 3, 4, 5, 6}));
        assertTrue(noMagic.getMessage().contains("without the Confluent header"), noMagic.getMessage());
        byte[] unknownId = ByteBuffer.allocate(9).put((byte) 0).putInt(999_999).putInt(0).array();
        var unknown = assertThrows(SerializationException.class, () -> de.deserialize("garbage", unknownId));
        assertTrue(unknown.getMessage().contains("schema id 999999"), unknown.getMessage());
        assertThrows(SerializationException.class, () -> WireFormat.schemaId(new byte[] {7, 0, 0, 0, 1}));
        assertThrows(SerializationException.class, () -> WireFormat.schemaId(new byte[] {0, 0}));
    }

    @Test
    void nullIsATombstoneBothWays() {
        // sae-versions is compacted: deleting a key means writing a null value.
        assertNull(serdes.serializer(Alert.class).serialize("tombstones", null));
        assertNull(serdes.deserializer(Alert.class).deserialize("tombstones", null));
    }

    @Test
    void registryUrlsAreCheckedAndNormalised() {
        assertTrue(serdes.isEmbedded());
        assertEquals("http://reg:8080/apis/registry/v3", LatentwatchSerdes.forRegistry("http://reg:8080/").registryUrl());
        assertEquals("http://reg:8080/apis/registry/v3", LatentwatchSerdes.forRegistry("http://reg:8080/apis/registry/v3").registryUrl());
        assertThrows(IllegalArgumentException.class, () -> LatentwatchSerdes.forRegistry("reg:8080"));
        // The Confluent-compatible URL other clients are given: the serde uses the same server's core API.
        assertEquals("http://reg:8080/apis/registry/v3", LatentwatchSerdes.forRegistry("http://reg:8080/apis/ccompat/v7").registryUrl());
        assertEquals("https://reg/x/apis/registry/v3", LatentwatchSerdes.forRegistry("https://reg/x/apis/ccompat/v7/").registryUrl());
    }
}
