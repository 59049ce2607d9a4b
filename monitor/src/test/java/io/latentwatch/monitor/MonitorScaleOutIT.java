package io.latentwatch.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.common.BearerToken;
import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two monitor instances share the work by partition, answer each other's queries (interactive
 * queries over HTTP), and when one shuts down gracefully the other takes over with nothing lost
 * or processed twice.
 */
class MonitorScaleOutIT extends AbstractKafkaIT {
    static final String HOOK = SaeFixture.RESID;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    MonitorScaleOutIT() { super(KafkaBackend.Kind.EMBEDDED); }

    /** Two model ids whose samples land on different partitions of a 2-partition topic. */
    static List<String> modelsOnBothPartitions() {
        List<String> out = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; out.size() < 2; i++) {
            String m = "model-" + i;
            int p = Utils.toPositive(Utils.murmur2(m.getBytes(StandardCharsets.UTF_8))) % 2;
            if (seen.add(p)) out.add(m);
        }
        return out;
    }

    /** Active tasks of the first sub-topology (the one reading hidden-states) on an instance. */
    static long inputTasks(MonitorApp m) {
        return m.streams().metadataForLocalThreads().stream().flatMap(t -> t.activeTasks().stream())
                .filter(t -> t.taskId().subtopology() == 0).count();
    }

    /** Both instances require it; one forwards queries to the other with it. */
    static final BearerToken TOKEN = BearerToken.of("scale-out-token-" + UUID.randomUUID());

    static JsonNode get(int port, String pathAndQuery) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + pathAndQuery)).header("Authorization", TOKEN.authorization()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    @Test
    void twoInstancesSharePartitionsAnswerEachOthersQueriesAndHandOverOnShutdown() throws Exception {
        long t0 = System.nanoTime();
        Consumer<String> mark = what -> System.out.printf("scale-out IT: %s at %.1f s%n", what, (System.nanoTime() - t0) / 1e9);
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 2, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
        List<String> models = modelsOnBothPartitions();
        List<SyntheticTraffic> traffic = new ArrayList<>();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < models.size(); i++) {
                SyntheticTraffic t = new SyntheticTraffic(models.get(i), "v", "node", List.of(SyntheticTraffic.DEFAULT_HOOKS.get(0)), 10 + i,
                        DType.F16);
                traffic.add(t);
                SaeFixture fx = new SaeFixture(tmp.resolve("artifacts-" + i), t);
                SaeVersion v = fx.train(models.get(i), HOOK, 64, 64, 4, fx.rows(1000, HOOK, t), 1, "v1", List.of());
                p.send(new ProducerRecord<>(topics.saeVersions(), models.get(i) + "|" + HOOK,
                        serdes.serializer(SaeVersion.class).serialize(topics.saeVersions(), v))).get();
            }
        }
        mark.accept("SAEs published");
        String appId = "it-scale-" + UUID.randomUUID();
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.HTTP_PORT, "0", MonitorConfig.DRIFT_WINDOW, "1000"), Map.of());
        Map<String, Object> c1 = MonitorApp.streamsDefaults(bootstrapServers(), tmp.resolve("s1"));
        c1.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        Map<String, Object> c2 = MonitorApp.streamsDefaults(bootstrapServers(), tmp.resolve("s2"));
        c2.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        ActivationNormDetector norm = new ActivationNormDetector(1_000_000, 4, 8);
        int perModel = 150;
        try (MonitorApp a = MonitorApp.builder(c1, topics, serdes).normDetector(norm).httpToken(TOKEN).sae(cfg, null, null).build();
             KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            MonitorApp b = MonitorApp.builder(c2, topics, serdes).normDetector(norm).httpToken(TOKEN).sae(cfg, null, null).build();
            a.start();
            b.start();
            try {
                assertTrue(a.awaitRunning(Duration.ofSeconds(90)) && b.awaitRunning(Duration.ofSeconds(90)));
                mark.accept("both running");
                // Wait until the group has settled with one task on each instance.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while ((inputTasks(a) != 1 || inputTasks(b) != 1) && System.nanoTime() < deadline) Thread.sleep(100);
                assertEquals(1, inputTasks(a), "one hidden-states partition per instance");
                assertEquals(1, inputTasks(b), "one hidden-states partition per instance");
                mark.accept("one task per instance");
                for (int i = 0; i < perModel; i++) {
                    for (SyntheticTraffic t : traffic) {
                        HiddenStateSample s = t.normal();
                        p.send(new ProducerRecord<>(topics.hiddenStates(), s.getModelId(), ser.serialize(topics.hiddenStates(), s)));
                    }
                }
                p.flush();
                deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (a.metrics().processedTotal() + b.metrics().processedTotal() < 2L * perModel && System.nanoTime() < deadline) Thread.sleep(50);
                assertEquals(2L * perModel, a.metrics().processedTotal() + b.metrics().processedTotal());
                mark.accept("all processed");
                assertEquals(perModel, a.metrics().processedTotal(), "one model per instance");
                assertEquals(perModel, b.metrics().processedTotal(), "one model per instance");

                // Each key's window is on one instance; either instance answers for both.
                deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                Set<String> answeredBy = new HashSet<>();
                for (String m : models) {
                    JsonNode w = get(a.httpPort(), "/latents?model=" + m + "&hook=" + HOOK);
                    while (w.path("samples").asInt() < perModel && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                        w = get(a.httpPort(), "/latents?model=" + m + "&hook=" + HOOK);
                    }
                    assertEquals(perModel, w.path("samples").asInt(), w.toString());
                    assertTrue(w.path("latents").size() > 0 && w.path("latents").get(0).has("baselineFrequency"), w.toString());
                    answeredBy.add(w.path("answeredBy").asText());
                    assertEquals(w.path("answeredBy"), get(b.httpPort(), "/latents?model=" + m + "&hook=" + HOOK).path("answeredBy"));
                }
                assertEquals(2, answeredBy.size(), "the two windows live on different instances: " + answeredBy);
                for (String m : models) {
                    JsonNode alerts = get(b.httpPort(), "/alerts?model=" + m);
                    assertTrue(alerts.isArray() && alerts.size() > 0, alerts.toString()); // at least "SAE version in force"
                    alerts.forEach(x -> assertEquals(m, x.path("model").asText()));
                    assertEquals("v1", get(a.httpPort(), "/sae-versions").path(m + "|" + HOOK).path("version").asText());
                }
            } finally {
                b.close(); // graceful: leaves the group, commits, hands its partition to a
            }
            mark.accept("b closed");
            long beforeA = a.metrics().processedTotal();
            for (int i = 0; i < perModel; i++) {
                for (SyntheticTraffic t : traffic) {
                    HiddenStateSample s = t.normal();
                    p.send(new ProducerRecord<>(topics.hiddenStates(), s.getModelId(), ser.serialize(topics.hiddenStates(), s)));
                }
            }
            p.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (a.metrics().processedTotal() < beforeA + 2L * perModel && System.nanoTime() < deadline) Thread.sleep(50);
            mark.accept("a processed the rest");
            Thread.sleep(500);
            assertEquals(beforeA + 2L * perModel, a.metrics().processedTotal(), "after the hand-over, everything once and only once");
            // Processed is counted at validation; the window counts a sample once its projection batch drains (batch.max.ms
            // later, longer on a loaded machine), so wait for the window rather than assume 500 ms is enough.
            for (String m : models) {
                int samples = get(a.httpPort(), "/latents?model=" + m + "&hook=" + HOOK).path("samples").asInt();
                while (samples < 2 * perModel && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    samples = get(a.httpPort(), "/latents?model=" + m + "&hook=" + HOOK).path("samples").asInt();
                }
                assertEquals(2 * perModel, samples, "windows restored from the changelog on the surviving instance");
            }
            assertNotEquals(-1, a.httpPort());
            assertEquals(401, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.httpPort()
                    + "/sae-versions")).build(), HttpResponse.BodyHandlers.discarding()).statusCode(), "no token, no answer");
        }
    }
}
