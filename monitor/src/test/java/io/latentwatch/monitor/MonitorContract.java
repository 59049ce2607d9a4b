package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The walking skeleton end to end on a real broker: a publisher and a broken producer write
 * hidden states, the monitor (exactly-once) validates, dead-letters and detects, and everything it
 * says is checked from the outside: the DLQ and alerts topics (read_committed) and /metrics over HTTP.
 */
abstract class MonitorContract extends AbstractKafkaIT {
    /** Normal samples per model; the first WARMUP of each only build the baseline. */
    static final int NORMAL_PER_MODEL = 150;
    static final int WARMUP = 40;
    static final int OUTLIERS_PER_MODEL = 4;
    static final int MALFORMED_PER_DEFECT = 2;
    /**
     * False alarms allowed on the normal samples: at |z| > 4 the nominal two-sided Gaussian rate is
     * 6.3e-5 per activation; with 2 x 110 scored samples x 2 hooks the expectation is ~0.03. The
     * young baseline's sampling error inflates it, so the bound is 2 (a rate of 0.5%).
     */
    static final int MAX_FALSE_ALARMS = 2;

    @TempDir
    Path stateDir;

    MonitorContract(KafkaBackend.Kind kind) {
        super(kind);
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void goodSamplesAreProcessedMalformedOnesDeadLetteredOutliersAlertedAndMetricsAgree() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) {
            topics.create(admin, 2, (short) 1);
        }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Serializer<HiddenStateSample> serializer = serdes.serializer(HiddenStateSample.class);
        Map<String, Object> streamsCfg = MonitorApp.streamsDefaults(bootstrapServers(), stateDir);
        streamsCfg.put(StreamsConfig.APPLICATION_ID_CONFIG, "it-monitor-" + UUID.randomUUID());
        ActivationNormDetector detector = new ActivationNormDetector(WARMUP, 4.0, 8.0);

        List<SyntheticTraffic> models = List.of(new SyntheticTraffic("model-a", 101), new SyntheticTraffic("model-b", 202));
        int hooks = SyntheticTraffic.DEFAULT_HOOKS.size();
        Set<String> outlierRequests = new HashSet<>();
        Map<String, Long> malformedByReason = new TreeMap<>();
        int good = 0, malformed = 0;

        try (MonitorApp monitor = MonitorApp.builder(streamsCfg, topics, serdes).normDetector(detector).metricsPort(0).build().start()) {
            assertTrue(monitor.awaitRunning(Duration.ofSeconds(90)), "monitor state " + monitor.state());
            Map<String, Object> producerCfg = HiddenStatePublisher.producerDefaults(bootstrapServers());
            try (HiddenStatePublisher publisher = HiddenStatePublisher.create(producerCfg, serializer, topics.hiddenStates(), 4096);
                 KafkaProducer<String, byte[]> broken = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
                // Warm-up first, flushed, so outliers are scored against a warm baseline.
                for (int i = 0; i < WARMUP + 10; i++) {
                    for (SyntheticTraffic m : models) { assertTrue(publisher.publish(m.normal())); good++; }
                }
                assertTrue(publisher.flush(Duration.ofSeconds(30)));
                for (int i = WARMUP + 10; i < NORMAL_PER_MODEL; i++) {
                    for (SyntheticTraffic m : models) {
                        assertTrue(publisher.publish(m.normal()));
                        good++;
                        if (i % 25 == 0 && outlierRequests.size() < OUTLIERS_PER_MODEL * models.size()) {
                            HiddenStateSample o = m.outlier(3.0);
                            outlierRequests.add(o.getRequestId());
                            assertTrue(publisher.publish(o));
                            good++;
                        }
                        if (i % 10 == 0 && malformed < MALFORMED_PER_DEFECT * SyntheticTraffic.Defect.values().length) {
                            SyntheticTraffic.Defect d = SyntheticTraffic.Defect.values()[malformed % SyntheticTraffic.Defect.values().length];
                            broken.send(new ProducerRecord<>(topics.hiddenStates(), m.modelId(),
                                    m.malformed(d, serializer, topics.hiddenStates())));
                            malformedByReason.merge(d.expectedReason(), 1L, Long::sum);
                            malformed++;
                        }
                    }
                }
                assertTrue(publisher.flush(Duration.ofSeconds(30)));
                broken.flush();
                assertEquals(good, publisher.published());
                assertEquals(0, publisher.dropped() + publisher.failed());
            }
            assertEquals(OUTLIERS_PER_MODEL * models.size(), outlierRequests.size());
            assertEquals(MALFORMED_PER_DEFECT * SyntheticTraffic.Defect.values().length, malformed);

            // Dead letters: exactly the malformed records, each with its reason and source.
            int expectedDead = malformed;
            List<ConsumerRecord<String, byte[]>> dead = consumeUntil(List.of(topics.dlq()), new StringDeserializer(),
                    new ByteArrayDeserializer(), got -> got.size() >= expectedDead, Duration.ofSeconds(90));
            Map<String, Long> deadByReason = new TreeMap<>();
            for (ConsumerRecord<String, byte[]> r : dead) {
                deadByReason.merge(header(r, DeadLetter.REASON), 1L, Long::sum);
                assertEquals(topics.hiddenStates(), header(r, DeadLetter.SOURCE_TOPIC));
                assertTrue(Integer.parseInt(header(r, DeadLetter.SOURCE_PARTITION)) >= 0);
                assertTrue(Long.parseLong(header(r, DeadLetter.SOURCE_OFFSET)) >= 0);
                assertTrue(Long.parseLong(header(r, DeadLetter.SOURCE_TIMESTAMP)) > 0);
                assertTrue(r.value().length > 0);
            }
            assertEquals(malformedByReason, deadByReason);

            // Every valid sample processed, exactly once.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (monitor.metrics().processedTotal() < good && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals(good, monitor.metrics().processedTotal());

            // Alerts: every hook of every outlier; at most MAX_FALSE_ALARMS others.
            int expectedOutlierAlerts = outlierRequests.size() * hooks;
            List<ConsumerRecord<String, Alert>> alerts = consumeUntil(List.of(topics.alerts()), new StringDeserializer(),
                    serdes.deserializer(Alert.class),
                    got -> got.stream().filter(r -> outlierRequests.contains(r.value().getRequestId())).count() >= expectedOutlierAlerts
                            && got.size() >= monitor.metrics().alertsTotal(),
                    Duration.ofSeconds(90));
            Set<String> alerted = new HashSet<>();
            int falseAlarms = 0;
            for (ConsumerRecord<String, Alert> r : alerts) {
                Alert a = r.value();
                assertEquals(ActivationNormDetector.NAME, a.getDetector());
                assertEquals(a.getModelId() + "|" + a.getHook(), r.key());
                if (outlierRequests.contains(a.getRequestId())) alerted.add(a.getRequestId() + "/" + a.getHook());
                else falseAlarms++;
            }
            assertEquals(expectedOutlierAlerts, alerted.size(), "each outlier flagged on each hook");
            assertTrue(falseAlarms <= MAX_FALSE_ALARMS, "false alarms: " + falseAlarms);

            // /metrics, scraped over HTTP, agrees with what the topics say.
            MetricsScrape scrape = MetricsScrape.fetch("http://127.0.0.1:" + monitor.metricsPort() + "/metrics");
            assertEquals(good, scrape.sum("latentwatch_records_processed_total"), 0.0);
            assertEquals(malformed, scrape.sum("latentwatch_records_dead_lettered_total"), 0.0);
            Map<String, Double> scrapedReasons = scrape.sumBy("latentwatch_records_dead_lettered_total", "reason");
            malformedByReason.forEach((reason, n) -> assertEquals(n.doubleValue(), scrapedReasons.get(reason), reason));
            assertEquals(alerts.size(), scrape.sum("latentwatch_alerts_total", Map.of("detector", ActivationNormDetector.NAME)), 0.0);
            assertEquals(good + malformed, scrape.sum("latentwatch_processing_latency_seconds_count"), 0.0);
            for (String model : List.of("model-a", "model-b")) {
                assertTrue(scrape.sum("latentwatch_records_processed_total", Map.of("model", model)) > 0, model);
            }
            // No request ids in labels, ever.
            assertTrue(scrape.samples().stream().noneMatch(s -> s.labels().containsKey("request_id")
                    || s.labels().values().stream().anyMatch(v -> v.startsWith("normal-") || v.startsWith("outlier-"))));
        }
    }

    @Test
    void aRestartedMonitorRestoresItsBaselinesFromTheChangelogAndDoesNotReprocess(@TempDir Path firstState,
                                                                                  @TempDir Path secondState) throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) {
            topics.create(admin, 1, (short) 1);
        }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Serializer<HiddenStateSample> serializer = serdes.serializer(HiddenStateSample.class);
        String appId = "it-restart-" + UUID.randomUUID();
        ActivationNormDetector detector = new ActivationNormDetector(WARMUP, 4.0, 8.0);
        SyntheticTraffic traffic = new SyntheticTraffic("model-r", 303);
        int warm = WARMUP + 20;

        Map<String, Object> cfg1 = MonitorApp.streamsDefaults(bootstrapServers(), firstState);
        cfg1.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        try (MonitorApp first = MonitorApp.builder(cfg1, topics, serdes).normDetector(detector).build().start();
             HiddenStatePublisher publisher = HiddenStatePublisher.create(
                     HiddenStatePublisher.producerDefaults(bootstrapServers()), serializer, topics.hiddenStates(), 1024)) {
            assertTrue(first.awaitRunning(Duration.ofSeconds(90)), "monitor state " + first.state());
            for (int i = 0; i < warm; i++) assertTrue(publisher.publish(traffic.normal()));
            assertTrue(publisher.flush(Duration.ofSeconds(30)));
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (first.metrics().processedTotal() < warm && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals(warm, first.metrics().processedTotal());
        }

        // A fresh state directory: the baseline can only come back from the changelog topic.
        Map<String, Object> cfg2 = MonitorApp.streamsDefaults(bootstrapServers(), secondState);
        cfg2.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        HiddenStateSample outlier = traffic.outlier(3.0);
        try (MonitorApp second = MonitorApp.builder(cfg2, topics, serdes).normDetector(detector).build().start();
             HiddenStatePublisher publisher = HiddenStatePublisher.create(
                     HiddenStatePublisher.producerDefaults(bootstrapServers()), serializer, topics.hiddenStates(), 1024)) {
            assertTrue(second.awaitRunning(Duration.ofSeconds(90)), "monitor state " + second.state());
            assertTrue(publisher.publish(outlier));
            assertTrue(publisher.flush(Duration.ofSeconds(30)));
            List<ConsumerRecord<String, Alert>> alerts = consumeUntil(List.of(topics.alerts()), new StringDeserializer(),
                    serdes.deserializer(Alert.class),
                    got -> got.stream().anyMatch(r -> r.value().getRequestId().equals(outlier.getRequestId())),
                    Duration.ofSeconds(90));
            Alert a = alerts.stream().filter(r -> r.value().getRequestId().equals(outlier.getRequestId()))
                    .findFirst().orElseThrow().value();
            // The alert cites a baseline of every warm-up sample: restored, not rebuilt from scratch.
            assertEquals(String.valueOf(warm), a.getAttributes().get("baseline_n"), a.getSummary());
            // Committed input is not read again: the restarted monitor processed only the outlier.
            assertEquals(1, second.metrics().processedTotal());
        }
    }
}
