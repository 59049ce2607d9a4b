package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The projection buffer keeps only references to its samples (ProjectionBuffer): samples whose input
 * offsets were committed while they waited in a batch are read back from the input topic when the
 * task starts again, so none is lost and none is projected twice. A first monitor buffers every sample
 * (its batch never fills nor times out) until its offsets are committed, then stops; a second one, on
 * a wiped state directory (so the references come back from the changelog, as after losing the host),
 * projects each sample exactly once.
 */
class ProjectionRestartIT extends AbstractKafkaIT {
    static final String MODEL = "restart-model";
    static final String HOOK = SyntheticTraffic.DEFAULT_HOOKS.get(0).hook();
    static final int SAMPLES = 40;

    @TempDir Path tmp;

    ProjectionRestartIT() { super(KafkaBackend.Kind.EMBEDDED); }

    @Test
    void samplesBufferedAcrossACommitAreProjectedOnceAfterARestart() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 2, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, "v", "node", List.of(SyntheticTraffic.DEFAULT_HOOKS.get(0)), 5, DType.F16);
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic);
        int dIn = SyntheticTraffic.DEFAULT_HOOKS.get(0).shape()[0];
        SaeVersion v1 = fx.train(MODEL, HOOK, dIn, 64, 4, fx.rows(400, HOOK, traffic), 1, "v1", List.of());
        String appId = "it-restart-" + UUID.randomUUID();
        String projections = appId + "-" + MonitorTopology.PROJECTIONS + "-repartition";

        Set<String> sent = new TreeSet<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + HOOK,
                    serdes.serializer(SaeVersion.class).serialize(topics.saeVersions(), v1))).get();
            // 1. A batch that never drains: every sample stays buffered while its offset is committed.
            MonitorConfig holding = MonitorConfig.of(Map.of(MonitorConfig.BATCH_MAX_RECORDS, "100000",
                    MonitorConfig.BATCH_MAX_MS, "3600000", MonitorConfig.EXPLANATIONS_PARTITIONS, "1"), Map.of());
            try (MonitorApp first = monitor(appId, tmp.resolve("state-1"), topics, serdes, holding)) {
                assertTrue(first.awaitRunning(Duration.ofSeconds(90)), "state " + first.state());
                Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
                for (int i = 0; i < SAMPLES; i++) {
                    HiddenStateSample s = traffic.normal();
                    sent.add(s.getRequestId());
                    producer.send(new ProducerRecord<>(topics.hiddenStates(), MODEL + "|" + s.getRequestId(),
                            ser.serialize(topics.hiddenStates(), s)));
                }
                producer.flush();
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (committed(appId, topics.hiddenStates()) < SAMPLES && System.nanoTime() < deadline) Thread.sleep(100);
                assertEquals(SAMPLES, committed(appId, topics.hiddenStates()), "input offsets committed with the samples buffered");
                assertEquals(0, first.metrics().projectedTotal(), "nothing drained before the restart");
            }
            // 2. Restart on a wiped state directory: references restored from the changelog, samples read back.
            MonitorConfig normal = MonitorConfig.of(Map.of(MonitorConfig.BATCH_MAX_RECORDS, "16", MonitorConfig.BATCH_MAX_MS, "20",
                    MonitorConfig.EXPLANATIONS_PARTITIONS, "1"), Map.of());
            try (MonitorApp second = monitor(appId, tmp.resolve("state-2"), topics, serdes, normal)) {
                assertTrue(second.awaitRunning(Duration.ofSeconds(90)), "state " + second.state());
                // A marker sent after the restart: projections share one key (model|hook), so a duplicate of a
                // restored sample would be on the projection topic before the marker's projection.
                HiddenStateSample marker = traffic.normal();
                producer.send(new ProducerRecord<>(topics.hiddenStates(), MODEL + "|" + marker.getRequestId(),
                        serdes.serializer(HiddenStateSample.class).serialize(topics.hiddenStates(), marker))).get();
                sent.add(marker.getRequestId());
                List<ConsumerRecord<String, LatentProjection>> got = consumeUntil(List.of(projections), new StringDeserializer(),
                        serdes.deserializer(LatentProjection.class), l -> l.size() > SAMPLES
                                && l.stream().anyMatch(r -> r.value().getRequestId().equals(marker.getRequestId())), Duration.ofSeconds(120));
                Map<String, Integer> byRequest = new TreeMap<>();
                for (ConsumerRecord<String, LatentProjection> r : got) byRequest.merge(r.value().getRequestId(), 1, Integer::sum);
                assertEquals(sent, byRequest.keySet(), "every buffered sample projected after the restart");
                assertTrue(byRequest.values().stream().allMatch(n -> n == 1), "each exactly once: " + byRequest);
                assertEquals(SAMPLES + 1, second.metrics().projectedTotal());
            }
        }
    }

    private MonitorApp monitor(String appId, Path state, Topics topics, LatentwatchSerdes serdes, MonitorConfig cfg) {
        Map<String, Object> streamsCfg = MonitorApp.streamsDefaults(bootstrapServers(), state);
        streamsCfg.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        streamsCfg.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        streamsCfg.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 3_600_000L); // keep projections readable
        return MonitorApp.builder(streamsCfg, topics, serdes).normDetector(new ActivationNormDetector(1_000_000, 4, 8))
                .metricsPort(-1).sae(cfg, Watchlist.empty(), null).build().start();
    }

    /** Sum of the application's committed offsets on {@code topic}. */
    private long committed(String appId, String topic) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> o = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
            return o.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        }
    }
}
