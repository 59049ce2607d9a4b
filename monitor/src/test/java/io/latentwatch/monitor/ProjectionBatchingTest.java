package io.latentwatch.monitor;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.explain.ExplanationWorker;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * When the projection drains its micro-batch buffer (ProjectionProcessor): at batch.max.records, or
 * when the oldest buffered sample has waited batch.max.ms of wall-clock time — and, when samples
 * arrive already older than batch.backlog.ms (catching up on a backlog), only at a full batch or ten
 * times the wait. Driven by the TopologyTestDriver's wall clock, so the timing is exact.
 */
class ProjectionBatchingTest {
    static final String MODEL = "batch-model";
    static final String HOOK = SyntheticTraffic.DEFAULT_HOOKS.get(0).hook();
    static final long MAX_MS = 100;
    static final int MAX_RECORDS = 16;

    @TempDir
    Path tmp;

    private final Topics topics = Topics.defaults();
    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
    private final MonitorMetrics metrics = new MonitorMetrics();
    private SyntheticTraffic traffic;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> in;
    private Serializer<HiddenStateSample> ser;
    private ExplanationWorker worker;
    private Instant wall = Instant.parse("2026-11-23T12:00:00Z");

    @BeforeEach
    void setUp() throws Exception {
        traffic = new SyntheticTraffic(MODEL, "v", "node", List.of(SyntheticTraffic.DEFAULT_HOOKS.get(0)), 5,
                DType.F16);
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic);
        int dIn = SyntheticTraffic.DEFAULT_HOOKS.get(0).shape()[0];
        SaeVersion v1 = fx.train(MODEL, HOOK, dIn, 64, 4, fx.rows(600, HOOK, traffic), 1, "v1", List.of());
        SaeRegistry registry = new SaeRegistry(Watchlist.empty());
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.BATCH_MAX_MS, Long.toString(MAX_MS),
                MonitorConfig.BATCH_MAX_RECORDS, Integer.toString(MAX_RECORDS), MonitorConfig.BATCH_BACKLOG_MS, "1000",
                MonitorConfig.EXPLANATIONS_PARTITIONS, "1"));
        worker = new ExplanationWorker(alert -> null, 1, 4);
        MonitorTopology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class), serdes.serde(Alert.class),
                new ActivationNormDetector(1_000_000, 4, 8), metrics, new MonitorTopology.Sae(registry, cfg, serdes, worker, 1));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "projection-batching-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
        driver = new TopologyTestDriver(topology.build(), p, wall);
        // The version arrives the way it does in production: through the global sae-versions store.
        driver.createInputTopic(topics.saeVersions(), Serdes.String().serializer(), Serdes.ByteArray().serializer())
                .pipeInput(MODEL + "|" + HOOK, serdes.serializer(SaeVersion.class).serialize(topics.saeVersions(), v1));
        in = driver.createInputTopic(topics.hiddenStates(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        ser = serdes.serializer(HiddenStateSample.class);
    }

    @AfterEach
    void tearDown() {
        driver.close();
        worker.close();
    }

    /** n normal samples whose Kafka timestamps are {@code ageMs} older than the wall clock. */
    private void send(int n, long ageMs) {
        for (int i = 0; i < n; i++) {
            in.pipeInput(MODEL, ser.serialize(topics.hiddenStates(), traffic.normal()), wall.minusMillis(ageMs));
        }
    }

    private void advance(long ms) {
        wall = wall.plusMillis(ms);
        driver.advanceWallClockTime(Duration.ofMillis(ms));
    }

    @Test
    void freshSamplesWaitForTheOldestToReachTheIntervalThenDrainTogether() {
        send(5, 0);
        assertEquals(0, metrics.projectedTotal(), "buffered, not projected on arrival");
        advance(MAX_MS / 2);
        assertEquals(0, metrics.projectedTotal(), "the oldest has waited half the interval");
        send(2, 0);
        advance(MAX_MS / 2 + 1);
        assertEquals(7, metrics.projectedTotal(), "one drain once the oldest waited the interval, the newer ones with it");
        assertEquals(1, metrics.batchCount());
        assertEquals(7.0, metrics.batchRowsSum());
    }

    @Test
    void aFullBatchDrainsAtOnce() {
        send(MAX_RECORDS, 0);
        assertEquals(MAX_RECORDS, metrics.projectedTotal());
        assertEquals(1, metrics.batchCount());
    }

    @Test
    void samplesArrivingAlreadyLateWaitLongerForAFullerBatch() {
        send(5, 5_000); // a backlog: produced five seconds ago
        advance(MAX_MS + 1);
        assertEquals(0, metrics.projectedTotal(), "catching up: the interval alone does not drain");
        advance(8 * MAX_MS);
        assertEquals(0, metrics.projectedTotal());
        advance(MAX_MS);
        assertEquals(5, metrics.projectedTotal(), "ten intervals at most");
        // Fresh traffic again: back to the short wait.
        send(3, 0);
        advance(MAX_MS + 1);
        assertEquals(8, metrics.projectedTotal());
    }
}
