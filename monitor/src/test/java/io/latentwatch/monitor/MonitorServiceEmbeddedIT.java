package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.monitor.detect.RareLatentDetector;
import io.latentwatch.monitor.detect.ReconErrorDetector;
import io.latentwatch.monitor.health.HealthHandler;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentContribution;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code latentwatch monitor} as deployed: the monitor built from a config file alone
 * ({@link MonitorService}), on a real broker. The trainer's artifact store is mounted at another
 * path than the one the versions were announced with (as on a shared volume), the SAE versions come
 * from the compacted topic, samples flow, and SAE-based alerts (recon error, rare latent) come out
 * with explanations carrying the SAE's latent labels and saying that no model reading could be made.
 * /health/ready, /metrics (with Kafka's and the JVM's metrics) and the query endpoints answer; the
 * last two only with the configured bearer token (401 without), health without one.
 */
class MonitorServiceEmbeddedIT extends AbstractKafkaIT {
    static final String MODEL = "model-svc";
    static final int NORMAL = 400;

    @TempDir Path tmp;
    static final String token = "it-token-" + UUID.randomUUID();

    MonitorServiceEmbeddedIT() { super(KafkaBackend.Kind.EMBEDDED); }

    @Test
    void aMonitorFromAConfigFileRaisesSaeAlertsWithLabelledExplanations() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 2, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);

        // The trainer's store, then the same store mounted elsewhere: the announced URIs no longer exist.
        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, 7);
        Path written = tmp.resolve("trainer-store");
        SaeFixture fx = new SaeFixture(written, traffic);
        float[] residRows = fx.rows(4000, SaeFixture.RESID, traffic);
        float[] zRows = fx.rows(400, SaeFixture.HOOK_Z, traffic);
        SaeVersion resid = fx.train(MODEL, SaeFixture.RESID, 64, 128, 8, residRows, 1, "1", List.of());
        SaeVersion z = fx.train(MODEL, SaeFixture.HOOK_Z, 8, 32, 4, zRows, 1, "1", List.of());
        MonitorSaeIT.Injections inj;
        try (SparseAutoencoder r = SaeFixture.load(resid); SparseAutoencoder zs = SaeFixture.load(z)) {
            inj = MonitorSaeIT.Injections.build(fx, r, SaeBaseline.read(Path.of(URI.create(resid.getArtifactUri()))), zs, residRows, zRows);
        }
        Path mounted = Files.move(written, tmp.resolve("mounted-store"));
        assertFalse(Files.exists(Path.of(URI.create(resid.getArtifactUri()))), "the announced path is gone");

        Path tokenFile = tmp.resolve("http.token");
        Files.writeString(tokenFile, token + "\n");
        Path config = tmp.resolve("monitor.properties");
        Files.writeString(config, String.join("\n",
                "# Kafka Streams properties",
                "bootstrap.servers=" + bootstrapServers(),
                "application.id=it-svc-" + UUID.randomUUID(),
                "state.dir=" + tmp.resolve("state"),
                "commit.interval.ms=100",
                "# latentwatch",
                "monitor.registry.url=" + LatentwatchSerdes.EMBEDDED,
                "monitor.topic.prefix=" + topics.prefix(),
                "monitor.artifacts.dir=" + mounted,
                "monitor.metrics.port=0",
                "monitor.http.port=0",
                "monitor.http.token.file=" + tokenFile,
                "monitor.norm.warmup.samples=1000000",
                "monitor.batch.max.ms=20",
                "monitor.recon.margin=1.5",
                "monitor.explain.queue=256", ""));

        MonitorService.Settings settings = MonitorService.settings(MonitorService.readProperties(config), Map.of(), Map.of());
        Serializer<HiddenStateSample> sampleSer = serdes.serializer(HiddenStateSample.class);
        Serializer<SaeVersion> vSer = serdes.serializer(SaeVersion.class);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID, vSer.serialize(topics.saeVersions(), resid))).get();
            p.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.HOOK_Z, vSer.serialize(topics.saeVersions(), z))).get();

            try (MonitorService service = MonitorService.create(settings, h -> { }).start()) {
                MonitorApp app = service.app();
                assertTrue(app.awaitRunning(Duration.ofSeconds(90)), "state " + app.state());
                // Health stays open for probes; everything else wants the bearer token.
                assertEquals(200, get(app.metricsPort(), HealthHandler.READY, null).statusCode());
                assertEquals(200, get(app.metricsPort(), HealthHandler.LIVE, null).statusCode());
                assertEquals(401, get(app.metricsPort(), "/metrics", null).statusCode());
                assertEquals(401, get(app.metricsPort(), "/metrics", "wrong-token-0123456789").statusCode());
                assertEquals(401, get(app.httpPort(), "/sae-versions", null).statusCode());
                assertEquals(401, get(app.httpPort(), "/incidents", null).statusCode());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (app.registry().versionRecord(MODEL, SaeFixture.RESID) == null && System.nanoTime() < deadline) Thread.sleep(50);
                assertEquals("1", app.registry().versionRecord(MODEL, SaeFixture.RESID).getVersion(), "version loaded from the mounted store");

                int sent = 0;
                for (int i = 0; i < NORMAL; i++, sent++) MonitorSaeIT.send(p, topics, sampleSer, traffic.normal());
                Map<String, HiddenStateSample> singles = inj.singles(fx, traffic);
                for (String kind : List.of("recon", "rare")) { MonitorSaeIT.send(p, topics, sampleSer, singles.get(kind)); sent++; }
                p.flush();
                MonitorSaeIT.awaitProcessed(app, sent);

                String reconId = singles.get("recon").getRequestId(), rareId = singles.get("rare").getRequestId();
                List<ConsumerRecord<String, Alert>> alerts = consumeUntil(List.of(topics.alerts()), new StringDeserializer(),
                        serdes.deserializer(Alert.class), got -> detectorsFor(got, reconId).contains(ReconErrorDetector.NAME)
                                && detectorsFor(got, rareId).contains(RareLatentDetector.NAME), Duration.ofSeconds(60));
                Set<String> sae = alerts.stream().map(ConsumerRecord::value)
                        .filter(a -> a.getRequestId() != null && (a.getRequestId().equals(reconId) || a.getRequestId().equals(rareId)))
                        .map(Alert::getAlertId).collect(Collectors.toSet());

                List<ConsumerRecord<String, Explanation>> expl = consumeUntil(List.of(topics.explanations()), new StringDeserializer(),
                        serdes.deserializer(Explanation.class),
                        got -> got.stream().map(r -> r.value().getAlertId()).collect(Collectors.toSet()).containsAll(sae), Duration.ofSeconds(60));
                for (ConsumerRecord<String, Explanation> r : expl) {
                    Explanation e = r.value();
                    if (!sae.contains(e.getAlertId())) continue;
                    assertFalse(e.getTopLatents().isEmpty(), e.toString());
                    assertTrue(e.getTopLatents().stream().map(LatentContribution::getLabel).allMatch(l -> l != null && !l.isBlank()),
                            "every top latent carries its label: " + e.getTopLatents());
                    assertTrue(e.getText().contains("(" + e.getTopLatents().get(0).getLabel() + ")"), e.getText());
                    assertEquals("not-requested", e.getPatchscopeStatus());
                    assertTrue(e.getText().contains("Not read: logit lens, tuned lens and Patchscope"), e.getText());
                    assertTrue(e.getHash() != null && e.getSequence() >= 0, "hash-chained: " + e);
                }

                // Prometheus: latentwatch's own metrics beside Kafka's and the JVM's.
                String metrics = get(app.metricsPort(), "/metrics").body();
                assertTrue(metrics.contains("latentwatch_"), "latentwatch metrics");
                assertTrue(metrics.contains("kafka_stream_thread_commit_rate"), "Kafka Streams metrics");
                assertTrue(metrics.contains("kafka_consumer_fetch_manager_records_lag_max"), "consumer lag");
                assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics");
                // Query endpoints, advertised through application.server.
                HttpResponse<String> versions = get(app.httpPort(), "/sae-versions");
                assertEquals(200, versions.statusCode());
                assertTrue(versions.body().contains(SaeFixture.RESID), versions.body());
            }
        }
    }

    private static Set<String> detectorsFor(List<ConsumerRecord<String, Alert>> got, String requestId) {
        return got.stream().map(ConsumerRecord::value).filter(a -> requestId.equals(a.getRequestId()))
                .map(Alert::getDetector).collect(Collectors.toSet());
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return get(port, path, token);
    }

    private static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
