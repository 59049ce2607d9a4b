package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.audit.AuditVerifier;
import io.latentwatch.monitor.audit.ChainVerifier;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.CircuitMatcher;
import io.latentwatch.monitor.detect.LatentDriftDetector;
import io.latentwatch.monitor.detect.RareLatentDetector;
import io.latentwatch.monitor.detect.ReconErrorDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.explain.ModelRepresentationReader;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.schema.Severity;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import io.latentwatch.common.ArtifactStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SAE half of the monitor on a real broker with real SAEs trained by the trainer's job:
 * normal traffic first (false-alarm rates measured per detector), then injected anomalies each
 * detector must catch, a wrong-width activation and a model without SAE (reported, never dropped),
 * a hot swap mid-stream plus a corrupt version (refused, old one stays), every sample accounted
 * for, one explanation per alert, and the explanation log's hash chain verified, then tampered with.
 */
class MonitorSaeIT extends AbstractKafkaIT {
    static final String MODEL = "model-a";
    static final String UNKNOWN = "model-b";
    static final int NORMAL = 900;
    static final int DRIFT_WINDOW = 300;

    @TempDir Path tmp;

    MonitorSaeIT() { super(KafkaBackend.Kind.EMBEDDED); }

    @Test
    void detectorsFireOnInjectedAnomaliesNotOnNormalTrafficAndTheLogVerifies() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 2, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Serializer<HiddenStateSample> sampleSer = serdes.serializer(HiddenStateSample.class);

        // --- Real SAEs: a residual SAE and a circuit SAE over head outputs, trained on normal traffic.
        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, 42);
        SyntheticTraffic other = new SyntheticTraffic(UNKNOWN, 43);
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic);
        long t0 = System.nanoTime();
        float[] residRows = fx.rows(8000, SaeFixture.RESID, traffic);
        float[] zRows = fx.rows(1000, SaeFixture.HOOK_Z, traffic);
        SaeVersion residV1 = fx.train(MODEL, SaeFixture.RESID, 64, 128, 8, residRows, 1, "v1", List.of());
        SaeVersion zV1Raw = fx.train(MODEL, SaeFixture.HOOK_Z, 8, 32, 4, zRows, 1, "v1", List.of());

        System.out.printf("fixture: two SAEs built in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        Injections inj;
        try (SparseAutoencoder resid = SaeFixture.load(residV1); SparseAutoencoder zsae = SaeFixture.load(zV1Raw)) {
            inj = Injections.build(fx, resid, SaeBaseline.read(Path.of(URI.create(residV1.getArtifactUri()))), zsae, residRows, zRows);
        }
        // The circuit signature rides on the hook_z SaeVersion, as the trainer publishes it.
        SaeVersion zV1 = SaeVersion.newBuilder(zV1Raw).setCircuits(List.of(inj.signature)).build();

        Path watchFile = tmp.resolve("watchlist.json");
        Files.writeString(watchFile, "{\"entries\": [{\"name\": \"watched-latent\", \"latent\": " + inj.watchLatent
                + ", \"threshold\": " + inj.watchThreshold + ", \"severity\": \"CRITICAL\", \"hook\": \"" + SaeFixture.RESID + "\"}]}");
        MonitorConfig cfg = MonitorConfig.of(Map.of(
                MonitorConfig.BATCH_MAX_RECORDS, "64", MonitorConfig.BATCH_MAX_MS, "20",
                MonitorConfig.DRIFT_WINDOW, Integer.toString(DRIFT_WINDOW), MonitorConfig.DRIFT_FDR, "0.001",
                MonitorConfig.RECON_QUANTILE, "p99.9", MonitorConfig.RECON_MARGIN, "1.5",
                MonitorConfig.RARE_EPSILON, "1e-4", MonitorConfig.RARE_MIN_ACTIVATION, "0.0", MonitorConfig.EXPLAIN_QUEUE, "256"), Map.of());

        Map<String, Object> streamsCfg = MonitorApp.streamsDefaults(bootstrapServers(), tmp.resolve("state"));
        streamsCfg.put(StreamsConfig.APPLICATION_ID_CONFIG, "it-sae-" + UUID.randomUUID());
        streamsCfg.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);

        // model-a's residual is 64 wide like stories260K's: explanations read it with that real model
        // (logit lens + token-identity Patchscope) on the bounded worker.
        Path storiesDir = Path.of("../../shared/models/stories260K");
        Path shared = Path.of(System.getenv().getOrDefault("LATENTWATCH_SHARED", "../../shared"), "models/stories260K");
        if (Files.exists(shared)) storiesDir = shared;
        HookedTransformer stories = HookedTransformer.load(storiesDir.resolve("stories260K.bin"), storiesDir.resolve("tok512.bin"));
        int goodA = 0, goodB = 0;
        Set<String> normalRequests = new HashSet<>();
        Map<String, String> injected = new TreeMap<>(); // requestId -> detector expected
        try (KafkaProducer<String, byte[]> versions = new KafkaProducer<>(producerConfig(), new StringSerializer(),
                new ByteArraySerializer());
             KafkaProducer<String, byte[]> samples = new KafkaProducer<>(producerConfig(), new StringSerializer(),
                     new ByteArraySerializer())) {
            Serializer<SaeVersion> vSer = serdes.serializer(SaeVersion.class);
            versions.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID, vSer.serialize(topics.saeVersions(), residV1))).get();
            versions.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.HOOK_Z, vSer.serialize(topics.saeVersions(), zV1))).get();

            try (MonitorApp monitor = MonitorApp.builder(streamsCfg, topics, serdes).normDetector(new ActivationNormDetector(1_000_000, 4, 8))
                    .sae(cfg, Watchlist.read(watchFile), reg -> new ModelRepresentationReader(Map.of(MODEL, stories), reg, 5, 3)).build().start()) {
                assertTrue(monitor.awaitRunning(Duration.ofSeconds(90)), "state " + monitor.state());
                assertEquals("v1", monitor.registry().versionRecord(MODEL, SaeFixture.RESID).getVersion());

                // Phase 1: normal traffic only (plus a model without SAE).
                for (int i = 0; i < NORMAL; i++) {
                    HiddenStateSample s = traffic.normal();
                    normalRequests.add(s.getRequestId());
                    send(samples, topics, sampleSer, s);
                    goodA++;
                    if (i % 30 == 0) { send(samples, topics, sampleSer, other.normal()); goodB++; }
                }
                samples.flush();
                awaitProcessed(monitor, goodA + goodB);

                // Phase 2: one of each anomaly, then a drifted stretch, and a wrong-width activation.
                for (Map.Entry<String, HiddenStateSample> e : inj.singles(fx, traffic).entrySet()) {
                    injected.put(e.getValue().getRequestId(), e.getKey());
                    send(samples, topics, sampleSer, e.getValue());
                    goodA++;
                }
                HiddenStateSample narrow = fx.withActivations(traffic.normal(), "narrow", Map.of(SaeFixture.RESID, new float[32]));
                narrow.getActivations().set(0, fx.encoder.encode(SaeFixture.RESID, 3, new int[] {32}, randomVector(new Random(5), 32, 3)));
                send(samples, topics, sampleSer, narrow);
                goodA++;
                for (int i = 0; i < 2 * DRIFT_WINDOW; i++) {
                    send(samples, topics, sampleSer, inj.drifted(fx, traffic.normal()));
                    goodA++;
                }
                samples.flush();
                awaitProcessed(monitor, goodA + goodB);

                // Phase 3: hot swap mid-stream — v2 (retrained) while samples flow, then a corrupt v3.
                SaeVersion residV2 = fx.train(MODEL, SaeFixture.RESID, 64, 128, 8, residRows, 2, "v2", List.of());
                SaeVersion residV3 = fx.republish(residV2, "v3");
                Path v3dir = Path.of(URI.create(residV3.getArtifactUri()));
                Files.writeString(v3dir.resolve("cfg.json"), Files.readString(v3dir.resolve("cfg.json")) + " ");
                for (int i = 0; i < 300; i++) {
                    if (i == 100) versions.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID,
                            vSer.serialize(topics.saeVersions(), residV2))).get();
                    if (i == 200) versions.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID,
                            vSer.serialize(topics.saeVersions(), residV3))).get();
                    send(samples, topics, sampleSer, traffic.normal());
                    goodA++;
                    if (i % 20 == 0) Thread.sleep(5);
                }
                samples.flush();
                awaitProcessed(monitor, goodA + goodB);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                // every model-a sample projects 1 residual row + 8 head rows, except the narrow one (heads only)
                long expectedRows = 9L * goodA - 1;
                while (monitor.metrics().projectedTotal() < expectedRows && System.nanoTime() < deadline) Thread.sleep(50);
                assertEquals(expectedRows, monitor.metrics().projectedTotal(), "every model-a activation projected exactly once");
                assertEquals(2L * goodB, monitor.metrics().withoutSaeTotal(), "model-b activations counted as without SAE");
                assertEquals(goodA + goodB, monitor.metrics().processedTotal());
                assertEquals("v2", monitor.registry().versionRecord(MODEL, SaeFixture.RESID).getVersion(), "corrupt v3 refused, v2 in force");
                assertTrue(monitor.metrics().batchCount() < expectedRows / 4,
                        "micro-batches: " + monitor.metrics().batchCount() + " matmul batches for " + expectedRows + " rows");

                // --- Alerts.
                long alertCount = monitor.metrics().alertsTotal();
                List<ConsumerRecord<String, Alert>> alerts = consumeUntil(List.of(topics.alerts()), new StringDeserializer(),
                        serdes.deserializer(Alert.class), got -> got.size() >= alertCount, Duration.ofSeconds(60));
                Map<String, Long> falseByDetector = new TreeMap<>();
                Map<String, Set<String>> caught = new TreeMap<>();
                List<Alert> all = alerts.stream().map(ConsumerRecord::value).toList();
                for (Alert a : all) {
                    if (a.getRequestId() != null && normalRequests.contains(a.getRequestId())) falseByDetector.merge(a.getDetector(), 1L, Long::sum);
                    if (a.getRequestId() != null && injected.containsKey(a.getRequestId())) {
                        caught.computeIfAbsent(a.getDetector(), k -> new HashSet<>()).add(injected.get(a.getRequestId()));
                    }
                }
                // Each injected anomaly caught by its detector.
                assertTrue(caught.getOrDefault(ReconErrorDetector.NAME, Set.of()).contains("recon"), caught.toString());
                assertTrue(caught.getOrDefault(RareLatentDetector.NAME, Set.of()).contains("rare"), caught.toString());
                assertTrue(caught.getOrDefault(Watchlist.NAME, Set.of()).contains("watch"), caught.toString());
                assertTrue(caught.getOrDefault(CircuitMatcher.NAME, Set.of()).contains("circuit"), caught.toString());
                Alert watchAlert = all.stream().filter(a -> a.getDetector().equals(Watchlist.NAME) && injected.containsKey(a.getRequestId()))
                        .findFirst().orElseThrow();
                assertEquals(Severity.CRITICAL, watchAlert.getSeverity());
                List<Alert> drift = all.stream().filter(a -> a.getDetector().equals(LatentDriftDetector.NAME)
                        && a.getHook().equals(SaeFixture.RESID)).toList();
                assertFalse(drift.isEmpty(), "drift detected on the shifted stretch");
                // False alarms on normal traffic: per scored activation row (1 residual + 8 heads per sample).
                long rows = 9L * NORMAL;
                System.out.printf("false alarms on %d normal samples (%d rows): %s%n", NORMAL, rows, falseByDetector);
                assertTrue(falseByDetector.getOrDefault(ReconErrorDetector.NAME, 0L) <= rows * 0.003, falseByDetector.toString());
                assertTrue(falseByDetector.getOrDefault(RareLatentDetector.NAME, 0L) <= rows * 0.003, falseByDetector.toString());
                assertEquals(0L, falseByDetector.getOrDefault(Watchlist.NAME, 0L), falseByDetector.toString());
                assertEquals(0L, falseByDetector.getOrDefault(CircuitMatcher.NAME, 0L), falseByDetector.toString());
                // Drift windows in phase 1: 3 residual + 24 head-row windows, all normal.
                long normalDriftWindows = all.stream().filter(a -> a.getDetector().equals(LatentDriftDetector.NAME)
                        && Integer.parseInt(a.getAttributes().get("window_index")) < (a.getHook().equals(SaeFixture.RESID) ? 3 : 24)
                        && "v1".equals(a.getSaeVersion())).count();
                System.out.printf("drift alerts on the 27 normal windows: %d%n", normalDriftWindows);
                assertTrue(normalDriftWindows <= 1, "drift false alarms " + normalDriftWindows);
                // Missing SAE: one INFO alert per (model, hook), the rest counted.
                List<Alert> noSae = all.stream().filter(a -> a.getDetector().equals(ProjectionProcessor.NO_SAE)).toList();
                assertEquals(2, noSae.size(), noSae.toString());
                assertTrue(noSae.stream().allMatch(a -> a.getModelId().equals(UNKNOWN) && a.getSeverity() == Severity.INFO));
                // SAE versions: v1 x2 and v2 in force (INFO), v3 refused (WARNING).
                Map<String, Boolean> versionEvents = all.stream().filter(a -> a.getDetector().equals(ProjectionProcessor.SAE_VERSION_DETECTOR)
                                && a.getHook().equals(SaeFixture.RESID))
                        .collect(Collectors.toMap(Alert::getSaeVersion, a -> a.getSeverity() == Severity.WARNING, (x, y) -> x || y));
                assertEquals(Map.of("v1", false, "v2", false, "v3", true), versionEvents);

                // Dead letter: the wrong-width activation, with its reason.
                List<ConsumerRecord<String, byte[]>> dead = consumeUntil(List.of(topics.dlq()), new StringDeserializer(),
                        new ByteArrayDeserializer(), got -> !got.isEmpty(), Duration.ofSeconds(30));
                assertEquals(1, dead.size());
                assertEquals("sae-dimension-mismatch", new String(dead.get(0).headers().lastHeader(DeadLetter.REASON).value(), StandardCharsets.UTF_8));
                assertTrue(new String(dead.get(0).headers().lastHeader(DeadLetter.DETAIL).value(), StandardCharsets.UTF_8).contains("expects 64"));

                // --- Explanations: exactly one per alert, with labels/latents, and an intact chain.
                List<ConsumerRecord<String, Explanation>> expl = consumeUntil(List.of(topics.explanations()), new StringDeserializer(),
                        serdes.deserializer(Explanation.class), got -> got.size() >= all.size(), Duration.ofSeconds(60));
                assertEquals(all.stream().map(Alert::getAlertId).collect(Collectors.toSet()),
                        expl.stream().map(r -> r.value().getAlertId()).collect(Collectors.toSet()));
                assertEquals(all.size(), expl.size());
                Explanation recon = expl.stream().map(ConsumerRecord::value)
                        .filter(e -> e.getDetector().equals(ReconErrorDetector.NAME) && !e.getTopLatents().isEmpty()).findFirst().orElseThrow();
                assertNotNull(recon.getSaeVersion());
                assertTrue(recon.getText().contains("reconstruction error"), recon.getText());
                assertEquals("done", recon.getPatchscopeStatus(), recon.toString());
                assertEquals(5, recon.getLogitLensTokens().size());
                assertTrue(recon.getText().contains("Asked to repeat the representation"), recon.getText());
                System.out.println("example explanation: " + recon.getText());
                Explanation circuit = expl.stream().map(ConsumerRecord::value).filter(e -> e.getDetector().equals(CircuitMatcher.NAME))
                        .findFirst().orElseThrow();
                assertFalse(circuit.getCircuitMatches().isEmpty());
            }

            stories.close();
            AuditVerifier.Report ok = AuditVerifier.verify(consumerConfig(), TypedTopics.of(topics, serdes).explanations(),
                    Duration.ofSeconds(60));
            assertTrue(ok.ok(), AuditVerifier.format(ok));
            assertTrue(ok.partitions().stream().allMatch(p -> p.records() > 0), AuditVerifier.format(ok));

            // Tamper: append a copy of a record with its text changed (hash kept) to partition 0.
            List<ConsumerRecord<String, Explanation>> expl = consumeUntil(List.of(topics.explanations()), new StringDeserializer(),
                    serdes.deserializer(Explanation.class), got -> got.size() >= ok.records(), Duration.ofSeconds(30));
            ConsumerRecord<String, Explanation> victim = expl.stream().filter(r -> r.partition() == 0).reduce((a, b) -> b).orElseThrow();
            Explanation forged = Explanation.newBuilder(victim.value()).setText("nothing to see").setSequence(victim.value().getSequence() + 1)
                    .setPreviousHash(victim.value().getHash()).build();
            Serializer<Explanation> eSer = serdes.serializer(Explanation.class);
            versions.send(new ProducerRecord<>(topics.explanations(), 0, victim.key(), eSer.serialize(topics.explanations(), forged))).get();
            // ... and delete the first record of another partition (as a retention or deleteRecords would). Alert ids
            // decide the partition, so pick the fullest partition other than 0 rather than assume partition 1 has two.
            int cutPartition = expl.stream().filter(r -> r.partition() != 0)
                    .collect(Collectors.groupingBy(ConsumerRecord::partition, Collectors.counting()))
                    .entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            try (Admin admin = admin()) {
                long cut = expl.stream().filter(r -> r.partition() == cutPartition).mapToLong(ConsumerRecord::offset).sorted().skip(1)
                        .findFirst().orElseThrow(() -> new AssertionError("partition " + cutPartition + " has one explanation only"));
                admin.deleteRecords(Map.of(new TopicPartition(topics.explanations(), cutPartition), RecordsToDelete.beforeOffset(cut))).all().get();
            }
            AuditVerifier.Report bad = AuditVerifier.verify(consumerConfig(), TypedTopics.of(topics, serdes).explanations(),
                    Duration.ofSeconds(60));
            System.out.print(AuditVerifier.format(bad));
            assertTrue(bad.problems().stream().anyMatch(p -> p.partition() == 0 && p.kind().equals("tampered")), AuditVerifier.format(bad));
            assertTrue(bad.problems().stream().anyMatch(p -> p.partition() == cutPartition && p.kind().equals("gap")), AuditVerifier.format(bad));
        }
    }

    static void send(KafkaProducer<String, byte[]> p, Topics t, Serializer<HiddenStateSample> ser, HiddenStateSample s) {
        p.send(new ProducerRecord<>(t.hiddenStates(), s.getModelId(), ser.serialize(t.hiddenStates(), s)));
    }

    static void awaitProcessed(MonitorApp m, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (m.metrics().processedTotal() < n && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(n, m.metrics().processedTotal());
    }

    static float[] randomVector(Random r, int n, double norm) {
        float[] v = new float[n];
        double s = 0;
        for (int i = 0; i < n; i++) { v[i] = (float) r.nextGaussian(); s += v[i] * v[i]; }
        for (int i = 0; i < n; i++) v[i] *= (float) (norm / Math.sqrt(s));
        return v;
    }

    /** The anomalies, crafted against the trained SAEs so that each is what its detector looks for. */
    static final class Injections {
        int rareLatent;
        double rareEpsilon;
        float[] rareDirection;
        double rareScale;
        int watchLatent;
        double watchThreshold;
        float[] watchDirection;
        double watchScale;
        float[] driftDirection;
        CircuitSignature signature;
        int[] circuitHeads;
        float[][] circuitRows;
        double residNorm;

        static Injections build(SaeFixture fx, SparseAutoencoder resid, SaeBaseline base, SparseAutoencoder zsae,
                                float[] residRows, float[] zRows) {
            Injections in = new Injections();
            int n = residRows.length / 64;
            double norms = 0;
            for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < 64; j++) s += residRows[i * 64 + j] * residRows[i * 64 + j]; norms += Math.sqrt(s); }
            in.residNorm = norms / n;
            float[] freq = base.firingFrequency();
            Tensor z = resid.encode(new Tensor(residRows, n, 64));
            float[] maxAct = new float[128];
            for (int i = 0; i < n; i++) for (int j = 0; j < 128; j++) maxAct[j] = Math.max(maxAct[j], z.data()[i * 128 + j]);
            // Rare: a latent never active on the reference data that a push along its direction turns on.
            float[] mean = mean(residRows, 64);
            in.rareLatent = -1;
            for (int j = 0; j < 128 && in.rareLatent < 0; j++) {
                if (freq[j] > 0) continue;
                float[] dir = SaeFixture.encoderDirection(resid, j);
                for (double s = 1; s <= 64; s *= 2) {
                    if (active(resid, add(mean, dir, s * in.residNorm / 8), j)) { in.rareLatent = j; in.rareDirection = dir; in.rareScale = s * in.residNorm / 8; break; }
                }
            }
            assertTrue(in.rareLatent >= 0, "a latent never active on the reference data that a push turns on");
            // Watchlist: the most frequent latent, with a threshold above anything normal traffic reached.
            int w = 0;
            for (int j = 1; j < 128; j++) if (freq[j] > freq[w]) w = j;
            in.watchLatent = w;
            in.watchThreshold = 1.5 * maxAct[w];
            in.watchDirection = SaeFixture.encoderDirection(resid, w);
            for (double s = 1; s <= 256; s *= 2) {
                float[] x = add(mean, in.watchDirection, s * in.residNorm / 8);
                if (activation(resid, x, w) > in.watchThreshold) { in.watchScale = s * in.residNorm / 8; break; }
            }
            assertTrue(in.watchScale > 0, "a push along the watched latent's encoder direction exceeds its threshold");
            // Drift: a constant offset along a mid-frequency latent's encoder direction.
            int d = -1;
            for (int j = 0; j < 128; j++) if (freq[j] > 0.02 && freq[j] < 0.2 && j != w) { d = j; break; }
            assertTrue(d >= 0);
            in.driftDirection = SaeFixture.encoderDirection(resid, d);
            float[] dd = in.driftDirection.clone();
            for (int i = 0; i < 64; i++) dd[i] *= (float) (0.5 * in.residNorm);
            in.driftDirection = dd;
            // Circuit: two heads whose crafted rows map to codes they never take on normal traffic.
            int[] codes = SaeFixture.codes(zsae, zRows);
            int heads = 8;
            List<Integer> chosenHeads = new ArrayList<>();
            List<Integer> chosenCodes = new ArrayList<>();
            List<float[]> rows = new ArrayList<>();
            for (int h = 0; h < heads && chosenHeads.size() < 2; h++) {
                Set<Integer> seen = new HashSet<>();
                for (int i = h; i < codes.length; i += heads) seen.add(codes[i]);
                for (int c = 0; c < 32; c++) {
                    if (seen.contains(c)) continue;
                    float[] zMean = mean(zRows, 8);
                    float[] row = null;
                    for (double sc = 1; sc <= 64 && row == null; sc *= 2) {
                        float[] cand = add(zMean, SaeFixture.encoderDirection(zsae, c), sc);
                        if (SaeFixture.codes(zsae, cand)[0] == c) row = cand;
                    }
                    if (row != null) { chosenHeads.add(h); chosenCodes.add(c); rows.add(row); break; }
                }
            }
            assertEquals(2, chosenHeads.size(), "two heads with a code unseen on normal traffic");
            in.circuitHeads = chosenHeads.stream().mapToInt(Integer::intValue).toArray();
            in.circuitRows = rows.toArray(new float[0][]);
            in.signature = SaeFixture.signature("planted", 4, in.circuitHeads, chosenCodes.stream().mapToInt(Integer::intValue).toArray(), 2);
            return in;
        }

        Map<String, HiddenStateSample> singles(SaeFixture fx, SyntheticTraffic t) {
            Map<String, HiddenStateSample> m = new TreeMap<>();
            m.put("recon", fx.withActivations(t.normal(), "inj-recon",
                    Map.of(SaeFixture.RESID, randomVector(new Random(1), 64, residNorm))));
            HiddenStateSample base = t.normal();
            m.put("rare", fx.withActivations(base, "inj-rare", Map.of(SaeFixture.RESID, add(fx.values(base, SaeFixture.RESID), rareDirection, rareScale))));
            base = t.normal();
            m.put("watch", fx.withActivations(base, "inj-watch", Map.of(SaeFixture.RESID, add(fx.values(base, SaeFixture.RESID), watchDirection, watchScale))));
            base = t.normal();
            float[] z = fx.values(base, SaeFixture.HOOK_Z);
            for (int i = 0; i < circuitHeads.length; i++) System.arraycopy(circuitRows[i], 0, z, circuitHeads[i] * 8, 8);
            m.put("circuit", fx.withActivations(base, "inj-circuit", Map.of(SaeFixture.HOOK_Z, z)));
            return m;
        }

        HiddenStateSample drifted(SaeFixture fx, HiddenStateSample base) {
            return fx.withActivations(base, "drift", Map.of(SaeFixture.RESID, add(fx.values(base, SaeFixture.RESID), driftDirection, 1)));
        }

        static float[] mean(float[] rows, int d) {
            float[] m = new float[d];
            int n = rows.length / d;
            for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) m[j] += rows[i * d + j] / n;
            return m;
        }

        static float[] add(float[] x, float[] dir, double s) {
            float[] y = x.clone();
            for (int i = 0; i < y.length; i++) y[i] += (float) (s * dir[i]);
            return y;
        }

        static float activation(SparseAutoencoder sae, float[] x, int j) {
            return sae.encode(new Tensor(x, 1, x.length)).data()[j];
        }

        static boolean active(SparseAutoencoder sae, float[] x, int j) { return activation(sae, x, j) > 0; }
    }
}
