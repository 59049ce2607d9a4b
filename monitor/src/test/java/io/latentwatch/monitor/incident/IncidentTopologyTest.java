package io.latentwatch.monitor.incident;

import io.latentwatch.monitor.MonitorMetrics;
import io.latentwatch.monitor.MonitorTopology;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentStatus;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The incident processor inside the monitor's topology: alerts of the real norm detector in, incidents out. */
class IncidentTopologyTest {
    private final Topics topics = Topics.defaults();
    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);

    @TempDir
    Path stateDir;

    @Test
    void oneIncidentPerOutlierRequestOpenUpdatedThenResolvedAfterTheQuietPeriod() {
        MonitorMetrics metrics = new MonitorMetrics();
        MonitorTopology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class), serdes.serde(Alert.class),
                new ActivationNormDetector(30, 4.0, 8.0), metrics)
                .withIncidents(new IncidentTopology(serdes.serde(Alert.class), TypedTopics.of(topics, serdes).incidents(),
                        new IncidentGrouper.Config(Duration.ofSeconds(30), Duration.ofMinutes(5), 50), metrics::incident));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "incident-topology-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        try (TopologyTestDriver driver = new TopologyTestDriver(topology.build(), p, start)) {
            Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
            TestInputTopic<String, byte[]> in = driver.createInputTopic(topics.hiddenStates(), Serdes.String().serializer(),
                    Serdes.ByteArray().serializer());
            TestOutputTopic<String, Incident> out = driver.createOutputTopic(topics.incidents(), Serdes.String().deserializer(),
                    serdes.deserializer(Incident.class));
            SyntheticTraffic traffic = new SyntheticTraffic("model-a", 31);
            int hooks = traffic.hooks().size();
            for (int i = 0; i < 200; i++) in.pipeInput("model-a", ser.serialize(topics.hiddenStates(), traffic.normal()));
            out.readRecordsToList(); // the odd false alarm of the warm-up

            HiddenStateSample outlier = traffic.outlier(3.0);
            in.pipeInput("model-a", ser.serialize(topics.hiddenStates(), outlier));
            List<TestRecord<String, Incident>> records = out.readRecordsToList();
            assertEquals(hooks, records.size(), "one record per alert folded in: open, then updates");
            Incident first = records.get(0).value();
            Incident last = records.get(records.size() - 1).value();
            assertEquals(IncidentStatus.OPEN, first.getStatus());
            assertEquals(IncidentStatus.UPDATED, last.getStatus());
            assertEquals(first.getIncidentId(), last.getIncidentId(), "all alerts of the request in one incident");
            assertEquals(first.getIncidentId(), records.get(records.size() - 1).key(), "keyed by incident id (compacted topic)");
            assertEquals(outlier.getRequestId(), last.getRequestId());
            assertEquals(hooks, last.getAlertCount());
            assertEquals(hooks, last.getHooks().size());
            assertTrue(last.getSummary().contains("request " + outlier.getRequestId()) && last.getSummary().contains("activation-norm x" + hooks),
                    last.getSummary());

            KeyValueStore<String, Incident> state = driver.getKeyValueStore(IncidentTopology.STATE);
            assertEquals(first.getIncidentId(), state.get("request|model-a|" + outlier.getRequestId()).getIncidentId());

            driver.advanceWallClockTime(Duration.ofSeconds(31));
            List<TestRecord<String, Incident>> resolved = out.readRecordsToList();
            assertEquals(1, resolved.size());
            assertEquals(IncidentStatus.RESOLVED, resolved.get(0).value().getStatus());
            assertEquals(first.getIncidentId(), resolved.get(0).key());

            // A second outlier request is a second incident; after the cooldown the first one's state is gone.
            HiddenStateSample second = traffic.outlier(3.0);
            in.pipeInput("model-a", ser.serialize(topics.hiddenStates(), second));
            List<TestRecord<String, Incident>> next = out.readRecordsToList();
            assertNotEquals(first.getIncidentId(), next.get(0).value().getIncidentId());
            driver.advanceWallClockTime(Duration.ofMinutes(6));
            out.readRecordsToList();
            assertNull(state.get("request|model-a|" + outlier.getRequestId()), "forgotten after the cooldown");
            assertEquals(2, metrics.incidentsByStatus().get("OPEN"));
            assertEquals(2, metrics.incidentsByStatus().get("RESOLVED"));
        }
    }
}
