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
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes key samples {@code modelId|requestId} (SampleKey.MODEL_REQUEST), so one model's traffic spreads over the
 * hidden-states partitions. The SAE detectors' per-model statistics still see all of it: projections are re-keyed by
 * {@code model|hook} through the latent-projections repartition topic before the detectors' sub-topology, whatever
 * the input key. (The activation-norm and lens-trajectory baselines and the circuit rates are kept before that
 * repartition, per input partition; this test pins that too, so a change to it is a decision.) Kafka Streams puts
 * both in one sub-topology, because their alerts are merged, but the detectors' records come only from the
 * repartition topic, co-partitioned by model|hook.
 */
class PerModelRepartitionTest {
    static final String MODEL = "spread-model";
    static final String HOOK = SyntheticTraffic.DEFAULT_HOOKS.get(0).hook();
    @TempDir Path tmp;

    @Test
    void detectorStatisticsAreKeyedByModelAndHookWhateverTheSampleKey() throws Exception {
        Topics topics = Topics.defaults();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, "v", "node", List.of(SyntheticTraffic.DEFAULT_HOOKS.get(0)), 5,
                DType.F16);
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic);
        int dIn = SyntheticTraffic.DEFAULT_HOOKS.get(0).shape()[0];
        SaeVersion v1 = fx.train(MODEL, HOOK, dIn, 64, 4, fx.rows(600, HOOK, traffic), 1, "v1", List.of());
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.BATCH_MAX_MS, "10", MonitorConfig.EXPLANATIONS_PARTITIONS, "1"));
        try (ExplanationWorker worker = new ExplanationWorker(alert -> null, 1, 4)) {
            Topology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class), serdes.serde(Alert.class),
                    new ActivationNormDetector(1_000_000, 4, 8), new MonitorMetrics(),
                    new MonitorTopology.Sae(new SaeRegistry(Watchlist.empty()), cfg, serdes, worker, 1)).build();

            // Structure: the detectors' only input is the repartition topic (keyed model|hook); the activation-norm
            // processor reads the hidden-states topic directly (so its baselines are per input partition).
            assertEquals(Set.of("latent-projections-repartition"), ancestorTopics(topology, "sae-detectors").stream()
                    .map(t -> t.replaceFirst("^.*?(" + MonitorTopology.PROJECTIONS + ")", "$1")).collect(Collectors.toSet()));
            assertEquals(Set.of(topics.hiddenStates()), ancestorTopics(topology, "activation-norm"));

            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, "per-model-repartition-test");
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
            Instant wall = Instant.parse("2026-11-23T12:00:00Z");
            try (TopologyTestDriver driver = new TopologyTestDriver(topology, p, wall)) {
                driver.createInputTopic(topics.saeVersions(), Serdes.String().serializer(), Serdes.ByteArray().serializer())
                        .pipeInput(MODEL + "|" + HOOK, serdes.serializer(SaeVersion.class).serialize(topics.saeVersions(), v1));
                var in = driver.createInputTopic(topics.hiddenStates(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
                var ser = serdes.serializer(HiddenStateSample.class);
                for (int i = 0; i < 40; i++) {
                    HiddenStateSample s = traffic.normal();
                    in.pipeInput(MODEL + "|" + s.getRequestId(), ser.serialize(topics.hiddenStates(), s), wall);
                }
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                Set<String> keys = new TreeSet<>();
                try (var it = driver.getKeyValueStore(MonitorTopology.DRIFT_WINDOWS).all()) {
                    it.forEachRemaining(kv -> keys.add(String.valueOf(kv.key)));
                }
                assertFalse(keys.isEmpty(), "the detectors saw the projections");
                for (String k : keys) assertTrue(k.startsWith(MODEL + "|" + HOOK), "detector state keyed by model|hook, got " + k);
            }
        }
    }

    /** The topics of the sources {@code processor} is fed from (walking its predecessors up to the sources). */
    private static Set<String> ancestorTopics(Topology t, String processor) {
        TopologyDescription.Node start = null;
        for (TopologyDescription.Subtopology s : t.describe().subtopologies()) {
            for (TopologyDescription.Node n : s.nodes()) if (n.name().equals(processor)) start = n;
        }
        if (start == null) throw new AssertionError("no processor '" + processor + "' in " + t.describe());
        Set<String> out = new TreeSet<>();
        Deque<TopologyDescription.Node> todo = new ArrayDeque<>(List.of(start));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            TopologyDescription.Node n = todo.pop();
            if (!seen.add(n.name())) continue;
            if (n instanceof TopologyDescription.Source src) out.addAll(src.topicSet());
            todo.addAll(n.predecessors());
        }
        return out;
    }
}
