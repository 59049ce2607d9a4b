package io.latentwatch.monitor;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.validate.DeadLetterReason;
import io.latentwatch.monitor.validate.InputLimits;
import io.latentwatch.monitor.validate.SampleValidator;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile input through the real topology (TopologyTestDriver, exactly-once, persistent stores),
 * with seeded randomness: every input must end in exactly one outcome — processed, or one
 * dead letter carrying its original bytes and a known reason — without an exception escaping,
 * and the per-series state and the metric labels must stay within their caps (overflow counted).
 * The outcome table is printed; docs/reliability.md quotes it.
 */
class HostileInputFuzzTest {
    private static final long SEED = 13;
    /**
     * Inputs per class are {@code base x SCALE}; the default keeps the test near five seconds (the test driver
     * commits, and so flushes RocksDB, after every record). {@code -Dlatentwatch.fuzz.scale=10} is the long run.
     */
    private static final int SCALE = Integer.getInteger("latentwatch.fuzz.scale", 1);
    /** Small enough to reach in a unit test: the model flood's 2-hook samples overflow it, and its admitted models overflow the labels. */
    private static final int MAX_SERIES = 80 * SCALE;
    private static final int MAX_LABELS = 32 * SCALE;
    private static final int MAX_RECORD_BYTES = 2 << 20;
    private static final Set<String> REASONS = Arrays.stream(DeadLetterReason.values()).map(DeadLetterReason::label)
            .collect(Collectors.toSet());

    private final Topics topics = Topics.defaults();
    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
    private final Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
    private final MonitorMetrics metrics = new MonitorMetrics(new PrometheusRegistry(), MAX_LABELS);
    private final Random random = new Random(SEED);
    private final SyntheticTraffic traffic = new SyntheticTraffic("fuzz-model", SEED);
    /** class -> outcome ("processed" or a reason) -> count */
    private final Map<String, Map<String, Integer>> outcomes = new TreeMap<>();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> in;
    private TestOutputTopic<String, byte[]> dlq;
    private TestOutputTopic<String, Alert> alerts;
    private long peakHeap;
    private final Map<String, Long> nanos = new TreeMap<>();

    @TempDir
    Path stateDir;

    @BeforeEach
    void setUp() {
        MonitorTopology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class),
                serdes.serde(Alert.class), new ActivationNormDetector(30, 4.0, 8.0), metrics)
                .withInputLimits(new InputLimits(MAX_RECORD_BYTES, MAX_SERIES));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "hostile-input-fuzz");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology.build(), p);
        in = driver.createInputTopic(topics.hiddenStates(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        dlq = driver.createOutputTopic(topics.dlq(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        alerts = driver.createOutputTopic(topics.alerts(), Serdes.String().deserializer(), serdes.deserializer(Alert.class));
    }

    @AfterEach
    void tearDown() { driver.close(); }

    /** Sends one input and returns its single outcome; fails on an escaped exception, a lost or a doubled record. */
    private String send(String fuzzClass, String key, byte[] value) {
        long t0 = System.nanoTime();
        long processedBefore = metrics.processedTotal();
        try {
            in.pipeInput(key, value);
        } catch (RuntimeException | Error e) {
            fail(fuzzClass + ": the topology threw on " + (value == null ? "null" : value.length + " bytes"), e);
        }
        long processed = metrics.processedTotal() - processedBefore;
        List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
        alerts.readRecordsToList();
        String outcome;
        if (processed == 1 && dead.isEmpty()) {
            outcome = "processed";
        } else if (processed == 0 && dead.size() == 1) {
            TestRecord<String, byte[]> d = dead.get(0);
            outcome = header(d, DeadLetter.REASON);
            assertTrue(REASONS.contains(outcome), fuzzClass + ": unknown reason " + outcome);
            assertNotNull(header(d, DeadLetter.DETAIL));
            assertTrue(header(d, DeadLetter.DETAIL).length() < 1000, fuzzClass + ": detail header of "
                    + header(d, DeadLetter.DETAIL).length() + " characters");
            if (value == null) assertEquals(null, d.value());
            else assertArrayEquals(value, d.value(), fuzzClass + ": the dead letter keeps the original bytes");
        } else {
            fail(fuzzClass + ": " + processed + " processed and " + dead.size() + " dead letters for one input");
            return null;
        }
        outcomes.computeIfAbsent(fuzzClass, c -> new TreeMap<>()).merge(outcome, 1, Integer::sum);
        nanos.merge(fuzzClass, System.nanoTime() - t0, Long::sum);
        peakHeap = Math.max(peakHeap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        return outcome;
    }

    private static String header(TestRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private byte[] bytes(HiddenStateSample s) { return ser.serialize(topics.hiddenStates(), s); }

    private HiddenStateSample withActivation(Function<Activation, Activation> edit) {
        HiddenStateSample s = traffic.normal();
        List<Activation> acts = new ArrayList<>(s.getActivations());
        acts.set(0, edit.apply(Activation.newBuilder(acts.get(0)).build()));
        s.setActivations(acts);
        return s;
    }

    private void expectAll(String fuzzClass, String outcome) {
        Map<String, Integer> got = outcomes.get(fuzzClass);
        assertEquals(Set.of(outcome), got.keySet(), fuzzClass + ": " + got);
    }

    @Test
    void everyHostileInputIsProcessedOrDeadLetteredWithItsReasonWithinTheCaps() throws IOException {
        long startNanos = System.nanoTime();
        // Warm the baseline with real traffic (also the reference for mutations below).
        for (int i = 0; i < 20; i++) send("valid", "fuzz-model", bytes(traffic.normal()));
        expectAll("valid", "processed");

        // 1. Random bytes, with and without a plausible Confluent header.
        byte[] good = bytes(traffic.normal());
        for (int i = 0; i < 100 * SCALE; i++) {
            byte[] b = new byte[random.nextInt(600)];
            random.nextBytes(b);
            if (i % 2 == 1 && b.length >= 5) System.arraycopy(good, 0, b, 0, 5);
            send(i % 2 == 1 ? "random-bytes-framed" : "random-bytes", "k", b);
        }
        // 2. Mutated valid records: 1-8 flipped, inserted or deleted bytes after the header.
        for (int i = 0; i < 150 * SCALE; i++) send("mutated-avro", "fuzz-model", mutate(bytes(traffic.normal())));
        // 3. Truncated valid records.
        for (int i = 0; i < 60 * SCALE; i++) {
            byte[] b = bytes(traffic.normal());
            send("truncated", "fuzz-model", Arrays.copyOf(b, random.nextInt(b.length)));
        }
        expectAll("truncated", "undecodable");
        // 4. Foreign and unknown schema ids: another record type's id, ids the registry never issued.
        Serializer<SamplingMetadata> foreign = serdes.serializer(SamplingMetadata.class);
        for (int i = 0; i < 30 * SCALE; i++) {
            byte[] b = i % 2 == 0 ? foreign.serialize("fuzz-foreign", traffic.normal().getSampling()) : bytes(traffic.normal());
            if (i % 2 == 1) ByteBuffer.wrap(b, 1, 4).putInt(1_000_000 + random.nextInt(1_000_000));
            send(i % 2 == 0 ? "foreign-schema-id" : "unknown-schema-id", "fuzz-model", b);
        }
        expectAll("foreign-schema-id", "undecodable");
        expectAll("unknown-schema-id", "undecodable");
        // 5. Avro length claims: 10^9 token ids, a 10^9-byte model id, in records of a few hundred bytes.
        for (int i = 0; i < 10 * SCALE; i++) {
            send("avro-claims-1e9-items", "fuzz-model", claimTokenIds(1_000_000_000L));
            send("avro-claims-1e9-byte-string", "fuzz-model", claimModelIdLength(1_000_000_000L));
        }
        expectAll("avro-claims-1e9-items", "undecodable");
        expectAll("avro-claims-1e9-byte-string", "undecodable");
        // 6. A shape claiming 10^9 elements (and one overflowing int) over a few bytes of data.
        for (int i = 0; i < 10 * SCALE; i++) {
            List<Integer> shape = i % 2 == 0 ? List.of(1_000_000_000) : List.of(100_000, 100_000);
            send("shape-1e9-elements", "fuzz-model", bytes(withActivation(a -> { a.setShape(shape); return a; })));
        }
        expectAll("shape-1e9-elements", "shape-mismatch");
        // 7. NaN and infinities, as F32 and as F16 bit patterns.
        int[] f16Bad = {0x7E00, 0x7C00, 0xFC00, 0x7C01};
        float[] f32Bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < 20 * SCALE; i++) {
            int which = i;
            send("nan-inf", "fuzz-model", bytes(withActivation(a -> {
                int n = a.getShape().stream().reduce(1, Math::multiplyExact);
                ByteBuffer data = ByteBuffer.allocate(n * (which % 2 == 0 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
                int bad = random.nextInt(n);
                for (int j = 0; j < n; j++) {
                    if (which % 2 == 0) data.putShort((short) (j == bad ? f16Bad[random.nextInt(f16Bad.length)] : 0x3C00));
                    else data.putFloat(j == bad ? f32Bad[random.nextInt(f32Bad.length)] : 1f);
                }
                a.setDtype(which % 2 == 0 ? Dtype.F16 : Dtype.F32);
                a.setData(ByteBuffer.wrap(data.array()));
                return a;
            })));
        }
        expectAll("nan-inf", "non-finite");
        // 8. F16 subnormals: finite, so accepted, and decoded to mantissa x 2^-24 (IEEE 754 binary16).
        for (int i = 0; i < 10 * SCALE; i++) {
            send("f16-subnormals", "fuzz-model", bytes(withActivation(a -> {
                int n = a.getShape().stream().reduce(1, Math::multiplyExact);
                ByteBuffer data = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int j = 0; j < n; j++) data.putShort((short) ((j % 2 == 0 ? 0x8000 : 0) | (1 + random.nextInt(0x3FF))));
                a.setDtype(Dtype.F16);
                a.setData(ByteBuffer.wrap(data.array()));
                return a;
            })));
        }
        expectAll("f16-subnormals", "processed");
        checkSubnormalDecoding();
        // 9. Duplicate activations: the same (hook, position) twice.
        for (int i = 0; i < 10 * SCALE; i++) {
            HiddenStateSample s = traffic.normal();
            List<Activation> acts = new ArrayList<>(s.getActivations());
            acts.add(Activation.newBuilder(acts.get(random.nextInt(acts.size()))).build());
            s.setActivations(acts);
            send("duplicate-activation", "fuzz-model", bytes(s));
        }
        expectAll("duplicate-activation", "duplicate-activation");
        // 10. Not TransformerLens hook names (typos, injection attempts, a 100 kB name).
        String[] badHooks = {"blocks.3.hook_resid_postt", "blocks.-1.hook_resid_post", "blocks.99999.hook_resid_post",
                "BLOCKS.3.HOOK_RESID_POST", "blocks.3.hook_resid_post\n", "hook_embed;drop", "", "x".repeat(100_000)};
        for (int i = 0; i < 30 * SCALE; i++) {
            String h = i < badHooks.length ? badHooks[i] : "blocks." + random.nextInt(12) + ".hook_" + Long.toHexString(random.nextLong());
            send("unknown-hook-name", "fuzz-model", bytes(withActivation(a -> { a.setHook(h); return a; })));
        }
        expectAll("unknown-hook-name", "unknown-hook");
        // 11. Bad model ids, negative positions, empty samples, null values.
        for (int i = 0; i < 5 * SCALE; i++) {
            HiddenStateSample s = traffic.normal();
            s.setModelId(i % 2 == 0 ? "" : "m".repeat(SampleValidator.MAX_MODEL_ID + 1 + i));
            send("bad-model-id", "k", bytes(s));
            send("negative-position", "fuzz-model", bytes(withActivation(a -> { a.setPosition(-1 - random.nextInt(1000)); return a; })));
            HiddenStateSample empty = traffic.normal();
            empty.setActivations(List.of());
            send("no-activations", "fuzz-model", bytes(empty));
            send("null-value", "fuzz-model", null);
        }
        expectAll("bad-model-id", "bad-model-id");
        expectAll("negative-position", "bad-position");
        expectAll("no-activations", "no-activations");
        expectAll("null-value", "undecodable");
        // 12. Oversized records: refused before decoding.
        for (int i = 0; i < 3; i++) {
            byte[] b = Arrays.copyOf(bytes(traffic.normal()), MAX_RECORD_BYTES + 1 + random.nextInt(1000));
            send("oversized", "fuzz-model", b);
        }
        expectAll("oversized", "oversized");

        // 13. A flood of made-up model ids and of valid but new hook names: state and labels stay capped.
        int floodModels = 60 * SCALE;
        for (int m = 0; m < floodModels; m++) {
            HiddenStateSample s = traffic.normal();
            s.setModelId("flood-" + m);
            send("model-id-flood", "flood-" + m, bytes(s));
        }
        for (int i = 0; i < 30 * SCALE; i++) {
            String h = "blocks." + (100 + i) + ".hook_resid_post";
            send("hook-name-flood", "fuzz-model", bytes(withActivation(a -> { a.setHook(h); return a; })));
        }
        KeyValueStore<String, Long> series = driver.getKeyValueStore(MonitorTopology.ADMITTED_SERIES);
        long admitted = series.get(SeriesBudget.COUNT);
        assertTrue(admitted <= MAX_SERIES, "admitted series " + admitted);
        long baselines = 0;
        try (var it = driver.<String, Object>getKeyValueStore(MonitorTopology.NORM_BASELINES).all()) {
            while (it.hasNext()) { it.next(); baselines++; }
        }
        assertTrue(baselines <= MAX_SERIES, "baselines " + baselines);
        Map<String, Integer> flood = outcomes.get("model-id-flood");
        assertTrue(flood.getOrDefault("series-limit", 0) > 0 && flood.getOrDefault("processed", 0) > MAX_LABELS, "flood: " + flood);
        assertEquals(floodModels, flood.values().stream().mapToInt(Integer::intValue).sum());
        assertTrue(outcomes.get("hook-name-flood").getOrDefault("series-limit", 0) > 0, "hook flood: " + outcomes.get("hook-name-flood"));
        assertTrue(metrics.labelValuesInUse("model") <= MAX_LABELS);
        assertTrue(metrics.labelOverflowByLabel().getOrDefault("model", 0L) > 0, "label overflow counted: " + metrics.labelOverflowByLabel());
        Set<String> modelLabels = new HashSet<>();
        for (var snapshot : metrics.registry().scrape()) {
            snapshot.getDataPoints().forEach(dp -> { String v = dp.getLabels().get("model"); if (v != null) modelLabels.add(v); });
        }
        assertTrue(modelLabels.size() <= MAX_LABELS + 1, "distinct model label values " + modelLabels.size());

        // 14. The stream still works: normal traffic after all of it is processed.
        for (int i = 0; i < 10; i++) send("valid-after", "fuzz-model", bytes(traffic.normal()));
        expectAll("valid-after", "processed");

        int total = outcomes.values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
        Map<String, Integer> byOutcome = new TreeMap<>();
        outcomes.values().forEach(m -> m.forEach((k, v) -> byOutcome.merge(k, v, Integer::sum)));
        StringBuilder report = new StringBuilder("hostile-input fuzz (seed " + SEED + "): " + total + " inputs in "
                + (System.nanoTime() - startNanos) / 1_000_000 + " ms, peak heap " + (peakHeap >> 20) + " MiB, admitted series "
                + admitted + "/" + MAX_SERIES + ", model label values " + metrics.labelValuesInUse("model") + "/"
                + MAX_LABELS + ", label overflow " + metrics.labelOverflowByLabel() + "\n");
        outcomes.forEach((c, m) -> report.append(String.format("  %-30s %s (%d ms)%n", c, m, nanos.get(c) / 1_000_000)));
        report.append("  total by outcome: ").append(byOutcome).append('\n');
        System.out.print(report);
        assertEquals(total, metrics.processedTotal() + metrics.deadLetteredTotal(), "every input counted once");
    }

    /** An independent reference for binary16 subnormals: value = (-1)^s x m x 2^-24. */
    private void checkSubnormalDecoding() {
        for (int bits : new int[] {0x0001, 0x03FF, 0x8001, 0x0200}) {
            float want = (float) (((bits & 0x8000) != 0 ? -1 : 1) * (bits & 0x3FF) * Math.pow(2, -24));
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) bits);
            b.flip();
            float got = Float16Codec.decode(DType.F16, b, 1)[0];
            assertEquals(want, got, 0f, "F16 0x" + Integer.toHexString(bits));
        }
    }

    private byte[] mutate(byte[] b) {
        byte[] out = b;
        int edits = 1 + random.nextInt(8);
        for (int e = 0; e < edits; e++) {
            int at = 5 + random.nextInt(out.length - 5);
            switch (random.nextInt(3)) {
                case 0 -> out[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> {
                    byte[] n = new byte[out.length + 1];
                    System.arraycopy(out, 0, n, 0, at);
                    n[at] = (byte) random.nextInt(256);
                    System.arraycopy(out, at, n, at + 1, out.length - at);
                    out = n;
                }
                default -> {
                    if (out.length > 6) {
                        byte[] n = new byte[out.length - 1];
                        System.arraycopy(out, 0, n, 0, at);
                        System.arraycopy(out, at + 1, n, at, out.length - at - 1);
                        out = n;
                    }
                }
            }
        }
        return out;
    }

    /** A valid record whose tokenIds array claims {@code count} items (Avro: zig-zag varint block count). */
    private byte[] claimTokenIds(long count) throws IOException {
        HiddenStateSample s = traffic.normal();
        s.setTokenIds(List.of());
        byte[] b = bytes(s);
        ByteArrayOutputStream prefix = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(prefix, null);
        enc.writeString(s.getModelId().toString());
        enc.writeString(s.getModelVersion().toString());
        enc.writeString(s.getNodeId().toString());
        enc.writeString(s.getRequestId().toString());
        enc.writeLong(s.getTimestampMs().toEpochMilli());
        enc.flush();
        int at = 5 + prefix.size();
        assertArrayEquals(prefix.toByteArray(), Arrays.copyOfRange(b, 5, at), "the Avro layout of HiddenStateSample");
        assertEquals(0, b[at], "an empty array is one 0 byte");
        return splice(b, at, 1, varint(count));
    }

    /** A valid record whose modelId claims {@code length} bytes. */
    private byte[] claimModelIdLength(long length) {
        byte[] b = bytes(traffic.normal());
        assertEquals(2 * "fuzz-model".length(), b[5], "the model id's length varint");
        return splice(b, 5, 1, varint(length));
    }

    private static byte[] varint(long v) {
        long z = (v << 1) ^ (v >> 63);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((z & ~0x7FL) != 0) { o.write((int) ((z & 0x7F) | 0x80)); z >>>= 7; }
        o.write((int) z);
        return o.toByteArray();
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] n = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, n, 0, at);
        System.arraycopy(insert, 0, n, at, insert.length);
        System.arraycopy(b, at + remove, n, at + insert.length, b.length - at - remove);
        return n;
    }
}
