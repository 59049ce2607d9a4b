package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;
import io.latentwatch.common.CorruptArtifactException;

import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.SaeVersion;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import java.io.IOException;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class RefitTest {
    @TempDir Path tmp;

    static SaeTrainJob job(int k, int steps) {
        SaeConfig cfg = SaeConfig.topk(16, 48, k, "blocks.1.hook_resid_post", "synthetic");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(steps).withBatchSize(128).withLr(3e-3f)
                .withDeadTokens(10_000).withEvalEvery(100);
        return SaeTrainJob.of(cfg, opt, () -> new Synthetic(16, 24, 12_000, 5)).withBuffers(1024, 1024, 1024)
                .withValidation(0.15, 4096);
    }

    @Test
    void trainJobWritesSaeLensFilesBaselineLabelsMetricsAndReport() throws Exception {
        SaeTrainJob.Outcome o = job(3, 300).run(tmp.resolve("out"));
        Path d = o.dir();
        for (String f : List.of("cfg.json", "sae_weights.safetensors", "sparsity.safetensors", SaeBaseline.FILE, LatentLabels.FILE,
                "latentwatch_metrics.json", "report/report.html", "report/loss.png", "report/fvu.png", "report/l0.png", "report/dead.png")) {
            assertTrue(Files.exists(d.resolve(f)), "missing " + f);
        }
        try (SparseAutoencoder sae = SaeFiles.load(d)) {
            assertEquals(48, sae.config().dSae());
        }
        assertTrue(o.metrics().get("fvu") < 0.3, "fvu " + o.metrics());
        assertTrue(o.metrics().get("l0") <= 3.0 + 1e-9);
        assertTrue(o.metrics().get("validation_tokens") > 500);
        assertEquals(48, LatentLabels.read(d).latents().size());
    }

    @Test
    void artifactStoreHashesAtomicallyAndRefusesCorruptArtifacts() throws Exception {
        Path staging = Files.createDirectories(tmp.resolve("staging/sub"));
        Files.writeString(tmp.resolve("staging/a.txt"), "hello");
        Files.writeString(staging.resolve("b.txt"), "world");
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        ArtifactStore.Artifact a = store.publish(tmp.resolve("staging"), "m/1", "blocks.0.hook_resid_post", "v1");
        assertEquals(a.dir(), ArtifactStore.verify(a.uri(), a.sha256()));
        // Independent hash: SHA-256 over "path\tsha256(file)\n" lines in path order.
        var md = MessageDigest.getInstance("SHA-256");
        var hex = HexFormat.of();
        String lines = "a.txt\t" + hex.formatHex(md.digest("hello".getBytes())) + "\n"
                + "sub/b.txt\t" + hex.formatHex(MessageDigest.getInstance("SHA-256").digest("world".getBytes())) + "\n";
        assertEquals(hex.formatHex(MessageDigest.getInstance("SHA-256").digest(lines.getBytes())), a.sha256());
        assertThrows(IOException.class, () -> store.publish(tmp.resolve("staging"), "m/1", "blocks.0.hook_resid_post", "v1"));
        Files.writeString(a.dir().resolve("a.txt"), "tampered");
        CorruptArtifactException e = assertThrows(CorruptArtifactException.class, () -> ArtifactStore.verify(a.uri(), a.sha256()));
        assertTrue(e.getMessage().contains("refusing"), e.getMessage());
        try (var s = Files.list(a.dir().getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".staging")), "no staging leftovers");
        }
    }

    @Test
    void qualityGatesCheckAbsoluteBoundsAndImprovementOverCurrent() {
        QualityGates g = QualityGates.defaults();
        Map<String, Double> good = Map.of("fvu", 0.05, "l0", 16.0, "dead_fraction", 0.1, "ce_increase", 0.1);
        assertTrue(g.judge(good, null).accepted());
        assertFalse(g.judge(Map.of("fvu", 0.5, "l0", 16.0, "dead_fraction", 0.1), null).accepted());
        assertFalse(g.judge(Map.of("fvu", 0.05, "l0", 100.0, "dead_fraction", 0.1), null).accepted());
        assertFalse(g.judge(Map.of("fvu", 0.05, "l0", 10.0, "dead_fraction", 0.9), null).accepted());
        assertFalse(g.judge(Map.of("fvu", 0.05, "l0", 10.0, "dead_fraction", 0.1, "ce_increase", 2.0), null).accepted());
        QualityGates.Decision worse = g.judge(good, Map.of("fvu", 0.04, "l0", 16.0, "dead_fraction", 0.1));
        assertFalse(worse.accepted());
        assertTrue(worse.reasons().get(0).contains("does not beat"), worse.reasons().toString());
        assertTrue(g.judge(good, Map.of("fvu", 0.06, "l0", 16.0, "dead_fraction", 0.1, "ce_increase", 0.1)).accepted());
        assertFalse(g.judge(good, Map.of("fvu", 0.06, "ce_increase", 0.01)).accepted(), "CE got worse beyond tolerance");
    }

    @Test
    void refitPublishesOnlyWhenTheCandidateBeatsTheCurrentVersion() throws Exception {
        ArtifactStore store = new ArtifactStore(tmp.resolve("store"));
        Topics topics = Topics.defaults();
        MockProducer<String, SaeVersion> producer = new MockProducer<>(true, null, new StringSerializer(),
                LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED).serializer(SaeVersion.class));
        KafkaVersionPublisher<SaeVersion> pub = new KafkaVersionPublisher<>(producer, Function.identity(), topics.saeVersions());
        QualityGates gates = new QualityGates(0.5, 1, 64, 0.9, 1, 0.0, 0.02);

        SaeRefit.Result first = new SaeRefit("synthetic", job(3, 300), store, gates, pub).call();
        assertTrue(first.published(), first.reasons().toString());
        assertEquals(1, producer.history().size());
        var rec = producer.history().get(0);
        assertEquals(topics.saeVersions(), rec.topic());
        assertEquals("synthetic|blocks.1.hook_resid_post", rec.key());
        SaeVersion v = rec.value();
        assertEquals(first.version(), v.getVersion());
        assertNull(v.getPreviousVersion());
        Path dir = ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256());
        try (SparseAutoencoder sae = SaeFiles.load(dir)) {
            assertEquals(16, sae.config().dIn());
        }
        assertEquals(first.version(), store.current("synthetic", "blocks.1.hook_resid_post").version());
        // The thresholds chosen for a false-alarm rate per request travel with the version, in the record and the artifact.
        DetectorThresholds t = DetectorThresholds.readIfPresent(dir);
        assertNotNull(t, "latentwatch_thresholds.json in the artifact");
        assertEquals(t.asMap(), v.getThresholds());
        assertEquals(0.01, v.getThresholds().get(DetectorThresholds.RATE));
        for (String k : List.of(DetectorThresholds.RECON_MARGIN, DetectorThresholds.RARE_EPSILON, DetectorThresholds.NORM_Z)) {
            assertTrue(v.getThresholds().get(k) > 0, k + " = " + v.getThresholds().get(k));
        }
        assertTrue(t.frequencyRows() > t.referenceRequests(), "frequencies counted on the training rows: " + t.frequencyRows());
        assertEquals(t.latentFrequency().length, v.getDSae());
        // On its own calibration requests each detector flags about the target share (ties can lower it).
        t.measured().forEach((d, rate) -> assertTrue(rate <= 0.02, d + " flags " + rate + " of the reference requests"));

        // A much weaker candidate (k=1, few steps) must not replace it.
        SaeRefit.Result second = new SaeRefit("synthetic", job(1, 60), store, gates, pub).call();
        assertFalse(second.published());
        assertEquals(1, producer.history().size(), "nothing published for a rejected candidate");
        assertEquals(first.version(), store.current("synthetic", "blocks.1.hook_resid_post").version());

        // A crash mid-refit leaves the current version in force and no staging directory behind.
        SaeTrainJob broken = SaeTrainJob.of(job(3, 10).config(), job(3, 10).options(), () -> { throw new IllegalStateException("disk on fire"); });
        assertThrows(Exception.class, () -> new SaeRefit("synthetic", broken, store, gates, pub).call());
        assertEquals(first.version(), store.current("synthetic", "blocks.1.hook_resid_post").version());
        try (var s = Files.list(store.root())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".refit-")));
        }
    }

    @Test
    void schedulerRefitsOnlyAfterEnoughNewExamplesAndSurvivesFailures() {
        AtomicLong examples = new AtomicLong();
        List<String> calls = new ArrayList<>();
        try (RefitScheduler s = new RefitScheduler(Duration.ofHours(6), 100, examples::get, () -> {
            calls.add("refit");
            if (calls.size() == 2) throw new IllegalStateException("boom");
            return new SaeRefit.Result(true, "v" + calls.size(), List.of(), Map.of());
        })) {
            s.tick();
            assertEquals(0, calls.size(), "no new examples yet");
            examples.set(150);
            s.tick();
            assertEquals(1, calls.size());
            s.tick();
            assertEquals(1, calls.size(), "needs 100 more since the last refit");
            examples.set(260);
            s.tick();                       // fails: logged, not thrown
            assertEquals(2, calls.size());
            s.tick();                       // a failed refit does not reset the count: retried
            assertEquals(3, calls.size());
            assertEquals("v3", s.lastResult().version());
        }
        assertEquals(Duration.ofHours(6), RefitScheduler.parseDuration("6h"));
        assertEquals(Duration.ofMinutes(30), RefitScheduler.parseDuration("30m"));
        assertThrows(IllegalArgumentException.class, () -> RefitScheduler.parseDuration("6x"));
    }

    @Test
    void labeledExamplesAreReadFromJsonlWithLineNumbersInErrors() throws Exception {
        Path f = tmp.resolve("ex.jsonl");
        Files.writeString(f, "{\"prompt\":\"1 2 3\",\"label\":\"positive\",\"task\":\"succession\",\"source\":\"me\"}\n\n"
                + "{\"prompt\":\"a b\",\"label\":\"NEGATIVE\",\"task\":\"succession\",\"source\":\"me\",\"timestampMs\":5}\n");
        var ex = LabeledExampleFile.read(f);
        assertEquals(2, ex.size());
        assertEquals(ExampleLabel.POSITIVE, ex.get(0).getLabel());
        Files.writeString(f, "{\"prompt\":\"x\",\"label\":\"maybe\"}\n");
        var e = assertThrows(IOException.class, () -> LabeledExampleFile.read(f));
        assertTrue(e.getMessage().contains(":1:"), e.getMessage());
    }
}
