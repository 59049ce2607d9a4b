package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.monitor.incident.IncidentTopology;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The monitor and its topics on a real broker: {@link MonitorService} creates the topics missing at start with
 * latentwatch's settings (partitions and compliance period from the environment), and a repartition topic that
 * exists with another partition count than Kafka Streams would derive (what a stray client's auto-creation with the
 * broker's {@code num.partitions} leaves behind) neither stops the monitor nor its restart ({@link InternalTopics}).
 */
class MonitorTopicsIT extends AbstractKafkaIT {
    static final String MODEL = "model-topics";

    @TempDir Path tmp;

    MonitorTopicsIT() { super(KafkaBackend.Kind.EMBEDDED); }

    private Map<String, String> config(Topics topics, String appId, Path stateDir) {
        return Map.of("bootstrap.servers", bootstrapServers(), "application.id", appId, "state.dir", stateDir.toString(),
                "commit.interval.ms", "100", MonitorConfig.REGISTRY_URL, LatentwatchSerdes.EMBEDDED,
                MonitorConfig.TOPIC_PREFIX, topics.prefix(), MonitorConfig.METRICS_PORT, "-1",
                MonitorConfig.NORM_WARMUP, "1000000", MonitorConfig.BATCH_MAX_MS, "20");
    }

    @Test
    void aMonitorOnAClusterWithoutItsTopicsCreatesThemWithTheirSettings() throws Exception {
        Topics topics = uniqueTopics();
        String app = "it-topics-" + UUID.randomUUID();
        Map<String, String> env = Map.of(TopicSettings.PARTITIONS_ENV, "2", TopicSettings.EXPLANATIONS_RETENTION_ENV, "P3650D");
        MonitorService.Settings s = MonitorService.settings(config(topics, app, tmp.resolve("state")), env, Map.of());
        try (MonitorService service = MonitorService.create(s, h -> { }).start(); Admin admin = admin()) {
            assertTrue(service.app().awaitRunning(Duration.ofSeconds(120)), "state " + service.app().state());
            var described = admin.describeTopics(topics.all()).allTopicNames().get(30, TimeUnit.SECONDS);
            for (String t : topics.all()) assertEquals(2, described.get(t).partitions().size(), t);
            Map<ConfigResource, Config> cfg = admin.describeConfigs(List.of(
                    new ConfigResource(ConfigResource.Type.TOPIC, topics.saeVersions()),
                    new ConfigResource(ConfigResource.Type.TOPIC, topics.explanations()),
                    new ConfigResource(ConfigResource.Type.TOPIC, topics.incidents()))).all().get(30, TimeUnit.SECONDS);
            assertEquals("compact", value(cfg, topics.saeVersions(), TopicConfig.CLEANUP_POLICY_CONFIG));
            assertEquals("compact", value(cfg, topics.incidents(), TopicConfig.CLEANUP_POLICY_CONFIG));
            assertEquals(Long.toString(Duration.ofDays(3650).toMillis()), value(cfg, topics.explanations(), TopicConfig.RETENTION_MS_CONFIG));
            assertEquals("-1", value(cfg, topics.explanations(), TopicConfig.RETENTION_BYTES_CONFIG));
            // The repartition topics got the hidden-states topic's count, fixed rather than derived.
            String projections = InternalTopics.repartitionTopic(app, MonitorTopology.PROJECTIONS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(projections) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(2, admin.describeTopics(List.of(projections)).allTopicNames().get().get(projections).partitions().size());
        }
    }

    @Test
    void aRepartitionTopicWithAnotherPartitionCountDoesNotStopTheMonitorNorItsRestart() throws Exception {
        Topics topics = uniqueTopics();
        String app = "it-topics-" + UUID.randomUUID();
        String projections = InternalTopics.repartitionTopic(app, MonitorTopology.PROJECTIONS);
        String incidents = InternalTopics.repartitionTopic(app, IncidentTopology.REPARTITION);
        try (Admin admin = admin()) {
            topics.create(admin, 3, (short) 1);
            // What auto-creation by a client gives: the broker's default of one partition, where Streams derives three.
            admin.createTopics(List.of(new NewTopic(projections, 1, (short) 1), new NewTopic(incidents, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            awaitListed(admin, projections);
            awaitListed(admin, incidents);
        }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, 11);
        SaeFixture fx = new SaeFixture(tmp.resolve("store"), traffic);
        SaeVersion resid = fx.train(MODEL, SaeFixture.RESID, 64, 128, 8, fx.rows(2000, SaeFixture.RESID, traffic), 1, "1", List.of());
        Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
        MonitorService.Settings s = MonitorService.settings(config(topics, app, tmp.resolve("state")), Map.of(), Map.of());
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID,
                    serdes.serializer(SaeVersion.class).serialize(topics.saeVersions(), resid))).get();
            for (int run = 1; run <= 2; run++) { // the second run is the restarted monitor
                try (MonitorService service = MonitorService.create(s, h -> { }).start()) {
                    MonitorApp m = service.app();
                    assertTrue(m.awaitRunning(Duration.ofSeconds(120)), "run " + run + ": state " + m.state());
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (m.registry().versionRecord(MODEL, SaeFixture.RESID) == null && System.nanoTime() < deadline) Thread.sleep(50);
                    for (int i = 0; i < 60; i++) MonitorSaeIT.send(p, topics, ser, traffic.normal());
                    p.flush();
                    MonitorSaeIT.awaitProcessed(m, 60);
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (m.metrics().projectedTotal() < 60 && System.nanoTime() < deadline) Thread.sleep(50);
                    assertTrue(m.metrics().projectedTotal() >= 60, "run " + run + ": projected " + m.metrics().projectedTotal());
                    assertEquals(KafkaStreams.State.RUNNING, m.state(), "run " + run);
                    assertTrue(m.health().ready(), "run " + run + ": " + m.health());
                }
            }
        }
        try (Admin admin = admin()) {
            var d = admin.describeTopics(List.of(projections, incidents)).allTopicNames().get(30, TimeUnit.SECONDS);
            assertEquals(1, d.get(projections).partitions().size(), "the existing count was kept");
            assertEquals(1, d.get(incidents).partitions().size(), "the existing count was kept");
        }
    }

    @Test
    void anExplanationChainTopicThatCannotMatchTheExplanationsTopicIsAClearError() throws Exception {
        Topics topics = uniqueTopics();
        String app = "it-topics-" + UUID.randomUUID();
        String chain = InternalTopics.repartitionTopic(app, MonitorTopology.EXPLANATION_CHAIN);
        try (Admin admin = admin()) {
            topics.create(admin, 3, (short) 1);
            admin.createTopics(List.of(new NewTopic(chain, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            awaitListed(admin, chain);
        }
        MonitorService.Settings s = MonitorService.settings(config(topics, app, tmp.resolve("state")), Map.of(), Map.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> MonitorService.create(s, h -> { }).close());
        assertTrue(e.getMessage().contains(chain) && e.getMessage().contains("has 1 partition(s) but the explanations topic has 3"),
                e.getMessage());
    }

    /** Topic metadata reaches the brokers after the controller confirms a creation: wait until it is listed. */
    private static void awaitListed(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic) && System.nanoTime() < deadline) Thread.sleep(50);
    }

    private static String value(Map<ConfigResource, Config> cfg, String topic, String key) {
        return cfg.get(new ConfigResource(ConfigResource.Type.TOPIC, topic)).get(key).value();
    }
}
