package io.latentwatch.monitor;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.WelfordStats;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.Severity;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MonitorTopologyTest {
    private final Topics topics = Topics.defaults();
    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
    private final Serializer<HiddenStateSample> sampleSerializer = serdes.serializer(HiddenStateSample.class);
    private final MonitorMetrics metrics = new MonitorMetrics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> in;
    private TestOutputTopic<String, byte[]> dlq;
    private TestOutputTopic<String, Alert> alerts;

    @TempDir
    Path stateDir;

    @BeforeEach
    void setUp() {
        MonitorTopology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class),
                serdes.serde(Alert.class), new ActivationNormDetector(30, 4.0, 8.0), metrics);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "monitor-topology-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology.build(), p);
        in = driver.createInputTopic(topics.hiddenStates(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        dlq = driver.createOutputTopic(topics.dlq(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        alerts = driver.createOutputTopic(topics.alerts(), Serdes.String().deserializer(), serdes.deserializer(Alert.class));
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private void send(String key, byte[] value) {
        in.pipeInput(new TestRecord<>(key, value, new RecordHeaders().add("trace", "t1".getBytes(StandardCharsets.UTF_8))));
    }

    private static String header(TestRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void validSamplesBuildTheBaselineAndOutliersRaiseAlerts() {
        SyntheticTraffic traffic = new SyntheticTraffic("model-a", 21);
        int hooks = traffic.hooks().size();
        for (int i = 0; i < 200; i++) send("model-a", sampleSerializer.serialize(topics.hiddenStates(), traffic.normal()));
        assertEquals(200, metrics.processedTotal());
        long falseAlarms = alerts.getQueueSize();
        alerts.readRecordsToList();
        // 200 samples x 2 hooks at z > 4: nominal 0.03 expected; allow one.
        assertTrue(falseAlarms <= 1, "false alarms on normal traffic: " + falseAlarms);

        HiddenStateSample outlier = traffic.outlier(3.0);
        send("model-a", sampleSerializer.serialize(topics.hiddenStates(), outlier));
        List<TestRecord<String, Alert>> out = alerts.readRecordsToList();
        assertEquals(hooks, out.size(), "every scaled activation is flagged");
        Set<String> keys = new HashSet<>();
        for (TestRecord<String, Alert> r : out) {
            Alert a = r.value();
            keys.add(r.key());
            assertEquals("model-a|" + a.getHook(), r.key());
            assertEquals(ActivationNormDetector.NAME, a.getDetector());
            assertEquals(outlier.getRequestId(), a.getRequestId());
            assertTrue(a.getScore() > 8, "z = " + a.getScore());
            assertEquals(Severity.CRITICAL, a.getSeverity());
            assertEquals(4.0, a.getThreshold());
            assertTrue(a.getSummary().contains(a.getHook()) && a.getSummary().contains("sd above"), a.getSummary());
        }
        assertEquals(hooks, keys.size());
        assertEquals(hooks + falseAlarms, metrics.alertsByDetector().get(ActivationNormDetector.NAME));
        assertEquals(0, dlq.getQueueSize());
        assertEquals(201, metrics.latencyCount());
    }

    @Test
    void eachMalformedKindIsDeadLetteredWithOriginalBytesReasonAndSourceAndTheStreamGoesOn() {
        SyntheticTraffic traffic = new SyntheticTraffic("model-b", 22);
        List<byte[]> sent = new ArrayList<>();
        for (SyntheticTraffic.Defect d : SyntheticTraffic.Defect.values()) {
            byte[] bytes = traffic.malformed(d, sampleSerializer, topics.hiddenStates());
            sent.add(bytes);
            send("model-b", bytes);
        }
        byte[] garbage = "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8);
        send("model-b", garbage);
        send("model-b", null);
        send("model-b", sampleSerializer.serialize(topics.hiddenStates(), traffic.normal()));

        List<TestRecord<String, byte[]>> dead = dlq.readRecordsToList();
        assertEquals(SyntheticTraffic.Defect.values().length + 2, dead.size());
        for (int i = 0; i < SyntheticTraffic.Defect.values().length; i++) {
            TestRecord<String, byte[]> r = dead.get(i);
            assertEquals(SyntheticTraffic.Defect.values()[i].expectedReason(), header(r, DeadLetter.REASON), header(r, DeadLetter.DETAIL));
            assertArrayEquals(sent.get(i), r.value(), "original bytes kept");
            assertEquals("model-b", r.key());
            assertEquals(topics.hiddenStates(), header(r, DeadLetter.SOURCE_TOPIC));
            assertEquals("0", header(r, DeadLetter.SOURCE_PARTITION));
            assertEquals(Integer.toString(i), header(r, DeadLetter.SOURCE_OFFSET));
            assertNotNull(header(r, DeadLetter.SOURCE_TIMESTAMP));
            assertEquals("t1", header(r, "trace"), "original headers kept");
        }
        assertEquals("undecodable", header(dead.get(5), DeadLetter.REASON));
        assertArrayEquals(garbage, dead.get(5).value());
        assertEquals("undecodable", header(dead.get(6), DeadLetter.REASON));
        assertEquals(1, metrics.processedTotal(), "the good record after the bad ones is processed");
        Map<String, Long> byReason = metrics.deadLetteredByReason();
        assertEquals(3L, byReason.get("undecodable"));
        for (String reason : List.of("bad-dtype", "shape-mismatch", "non-finite", "unknown-hook")) {
            assertEquals(1L, byReason.get(reason), reason);
        }
        assertEquals(7, metrics.deadLetteredTotal());
    }

    @Test
    void baselinesAreKeptPerModelAndHook() {
        SyntheticTraffic small = new SyntheticTraffic("small", 23);
        // Same hooks, ten times the scale: on its own baseline, nothing is unusual.
        SyntheticTraffic big = new SyntheticTraffic("big", "v", "n", SyntheticTraffic.DEFAULT_HOOKS.stream()
                .map(h -> new SyntheticTraffic.HookSpec(h.hook(), h.shape(), h.noise() * 10, h.massiveDims()))
                .collect(Collectors.toList()), 24, DType.F16);
        for (int i = 0; i < 100; i++) {
            send("small", sampleSerializer.serialize(topics.hiddenStates(), small.normal()));
            send("big", sampleSerializer.serialize(topics.hiddenStates(), big.normal()));
        }
        assertTrue(alerts.getQueueSize() <= 1, "alerts: " + alerts.getQueueSize());
        assertEquals(200, metrics.processedTotal());
        var store = driver.<String, WelfordStats>getKeyValueStore(MonitorTopology.NORM_BASELINES);
        var smallStats = store.get("small|" + SyntheticTraffic.DEFAULT_HOOKS.get(0).hook());
        var bigStats = store.get("big|" + SyntheticTraffic.DEFAULT_HOOKS.get(0).hook());
        assertTrue(smallStats.count() >= 99 && bigStats.count() >= 99);
        assertEquals(10, bigStats.mean() / smallStats.mean(), 1.5);
        assertTrue(Arrays.asList(metrics.deadLetteredByReason().values().toArray()).isEmpty());
    }
}
