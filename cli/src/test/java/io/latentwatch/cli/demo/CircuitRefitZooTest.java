package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.interp.calibrate.FalseAlarmCalibration;
import io.latentwatch.interp.circuits.CircuitScore;
import io.latentwatch.interp.circuits.GroundTruth;
import io.latentwatch.interp.circuits.HeadCoder;
import io.latentwatch.interp.circuits.HeadId;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.detect.CircuitMatcher;
import io.latentwatch.schema.HeadCode;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.VersionPublisher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainer's circuit refit ({@link CircuitRefit}) on zoo-small for its default task (succession, {@code DemoCommand
 * --circuit-task}): the signature it publishes must name only heads that circuits.json's mean ablation
 * confirmed for that task, and the monitor's matching (codes of the node's hook_z at the prompt's last
 * position, {@link CircuitMatcher}) must fire on the demo's successor triggers and not on normal prompts.
 *
 * <p>Why not IOI: on zoo-small the discovery ranks the induction head L1H3 first for IOI (the repeated
 * subject S2 makes it behave differently on positives than on the three-name negatives); measured over
 * seeds 42, 43, 7 the published IOI signature was [L1H3], [L1H1], [L1H3, L1H0], matching 0-4 of 33 IOI
 * triggers and 15 of 33 induction triggers for seed 42. Succession gave [L1H1] (ground truth: L1H0, L1H1)
 * for all three seeds.
 */
class CircuitRefitZooTest {
    static final Path DIR = Path.of("../models/zoo-small");
    static final String TASK = "succession";
    static HookedTransformer model;

    @BeforeAll
    static void load() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        model = HookedTransformer.load(DIR, DIR.resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() { model.close(); }

    @Test
    void publishedSignatureNamesGroundTruthHeadsAndMatchesTheTasksTriggers(@TempDir Path tmp) throws Exception {
        ReentrantLock lock = new ReentrantLock();
        PromptMix bm = new PromptMix(PromptMix.Domain.ZOO, 42 * 31 + 5);
        List<String> baseline = new ArrayList<>();
        for (int i = 0; i < 400; i++) baseline.add(bm.normal().text());
        GroundTruth truth = GroundTruth.fromCircuitsJson(DIR.resolve("circuits.json"), TASK);
        for (long seed : new long[] {42, 43}) {
            List<SaeVersion> published = new ArrayList<>();
            VersionPublisher versions = new VersionPublisher() {
                @Override public void publish(SaeVersion v) { published.add(v); }
                @Override public void close() {}
            };
            CircuitRefit.Outcome p = new CircuitRefit(model, lock, new ArtifactStore(tmp.resolve("store-" + seed)), versions,
                    CircuitRefit.DEFAULT_GATES).run(CircuitRefit.fromCircuitsJson(DIR.resolve("circuits.json"), "zoo-small", TASK, 1, baseline, seed));
            assertTrue(p.result().published(), "seed " + seed + ": " + p.result().reasons());
            assertEquals(1, published.size());
            assertEquals(List.of(p.signature()), published.get(0).getCircuits());
            assertFalse(p.signature().getHeads().isEmpty());
            for (HeadCode h : p.signature().getHeads()) {
                assertTrue(truth.contains(new HeadId(h.getLayer(), h.getHead())), "seed " + seed + ": signature head L" + h.getLayer() + "H"
                        + h.getHead() + " is not a " + TASK + " head of circuits.json (" + truth.heads() + ")");
            }
            if (seed != 42) continue;

            // The monitor's view, as in the demo: codes of the published circuit SAE at the prompt's last position.
            SaeVersion v = published.get(0);
            Path dir = ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256());
            var c = model.config();
            float[][] wO = new float[c.nLayers()][];
            for (int l = 0; l < wO.length; l++) wO[l] = model.params().blocks.get(l).wO.toFloatArray();
            PromptMix traffic = new PromptMix(PromptMix.Domain.ZOO, 99);
            int normal = 0, normalHits = 0, triggers = 0, triggerHits = 0;
            try (SparseAutoencoder sae = SaeFiles.load(dir); HeadCoder coder = new HeadCoder(sae, wO, c.nHeads(), c.dHead(), c.dModel())) {
                for (int i = 0; i < 400; i++) {
                    PromptMix.Prompt pr = i % 2 == 0 ? traffic.normal() : traffic.circuit();
                    boolean trigger = pr.kind() == PromptMix.Kind.CIRCUIT && "successor".equals(pr.subtype());
                    if (pr.kind() == PromptMix.Kind.CIRCUIT && !trigger) continue;
                    int[] toks = model.toTokens(pr.text());
                    Tensor z = model.runWithCache(toks, List.of("blocks.1.attn.hook_z")).cache().get("blocks.1.attn.hook_z");
                    boolean hit = !CircuitMatcher.matchCodes(List.of(p.signature()), Map.of(1, coder.codes(1, z)[toks.length - 1])).isEmpty();
                    if (trigger) { triggers++; if (hit) triggerHits++; } else { normal++; if (hit) normalHits++; }
                }
            }
            System.out.printf(Locale.ROOT, "zoo-small %s signature %s: %d/%d successor triggers, %d/%d normal prompts%n", TASK,
                    p.signature().getHeads().stream().map(h -> "L" + h.getLayer() + "H" + h.getHead()).toList(), triggerHits, triggers, normalHits, normal);
            // Measured (seed 42): 16/54 successor triggers, 0/200 normal prompts.
            assertTrue(triggerHits >= 0.1 * triggers, triggerHits + "/" + triggers + " successor triggers matched");
            assertTrue(normalHits <= 0.02 * normal, normalHits + "/" + normal + " normal prompts matched");
        }
    }

    /**
     * The per-head score ({@code CircuitScore}, the rule the published signature carries) on traffic shaped like the
     * demo's: successor triggers against normal prompts, injected anomalies and the other tasks' triggers. Exact code
     * matching recalled 16/54 successor triggers here (the test above); the score must recall at least 80% at a precision
     * of at least 90% (the demo's target), with a false-alarm rate on normal prompts at most twice the 1% target.
     * Measured (seed 42, 500 baseline prompts calibrating, 500 held out): heads [L1H0, L1H1], threshold 0.173, recall 81/83,
     * precision 1.0, normal 0/300, held out 0/500 (95% upper bound 0.6%); at the reference quantile of the 1% target
     * (-0.189) precision would be 0.138 (83/603 flagged).
     */
    @Test
    void perHeadScoreRecallsTheTriggersAtHighPrecision(@TempDir Path tmp) throws Exception {
        ReentrantLock lock = new ReentrantLock();
        PromptMix bm = new PromptMix(PromptMix.Domain.ZOO, 42 * 31 + 5);
        List<String> baseline = new ArrayList<>();
        for (int i = 0; i < 1000; i++) baseline.add(bm.normal().text());
        List<SaeVersion> published = new ArrayList<>();
        VersionPublisher versions = new VersionPublisher() {
            @Override public void publish(SaeVersion v) { published.add(v); }
            @Override public void close() {}
        };
        CircuitRefit.Outcome p = new CircuitRefit(model, lock, new ArtifactStore(tmp.resolve("store")), versions, CircuitRefit.DEFAULT_GATES)
                .run(CircuitRefit.fromCircuitsJson(DIR.resolve("circuits.json"), "zoo-small", TASK, 1, baseline, 42));
        assertTrue(p.result().published(), String.valueOf(p.result().reasons()));
        assertNotNull(p.signature().getScoreThreshold(), "the signature carries a score threshold");
        assertFalse(published.get(0).getThresholds().isEmpty(), "the version carries the OOD detectors' thresholds");
        SaeVersion v = published.get(0);
        Path dir = ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256());
        var c = model.config();
        float[][] wO = new float[c.nLayers()][];
        for (int l = 0; l < wO.length; l++) wO[l] = model.params().blocks.get(l).wO.toFloatArray();
        PromptMix traffic = new PromptMix(PromptMix.Domain.ZOO, 99);
        int triggers = 0, tp = 0, flagged = 0, normal = 0, normalHits = 0;
        Map<String, int[]> byKind = new TreeMap<>();
        Map<String, List<Double>> scores = new TreeMap<>();
        try (SparseAutoencoder sae = SaeFiles.load(dir); HeadCoder coder = new HeadCoder(sae, wO, c.nHeads(), c.dHead(), c.dModel())) {
            int dSae = sae.config().dSae();
            for (int i = 0; i < 900; i++) {
                PromptMix.Prompt pr = i % 3 == 0 ? traffic.normal() : i % 3 == 1 ? traffic.circuit() : traffic.anomaly();
                boolean trigger = pr.kind() == PromptMix.Kind.CIRCUIT && "successor".equals(pr.subtype());
                int[] toks = model.toTokens(pr.text());
                Tensor z = model.runWithCache(toks, List.of("blocks.1.attn.hook_z")).cache().get("blocks.1.attn.hook_z");
                float[] rows = coder.project(1, z);
                float[] last = Arrays.copyOfRange(rows, (toks.length - 1) * c.nHeads() * c.dModel(), toks.length * c.nHeads() * c.dModel());
                int[] codes = coder.codes(last);
                boolean hit = !CircuitMatcher.match(List.of(p.signature()), Map.of(1, new CircuitMatcher.HeadLatents(codes, last))).isEmpty();
                String kind = pr.kind() + (pr.subtype() == null ? "" : ":" + pr.subtype());
                double sc = 0;
                for (HeadCode h : p.signature().getHeads()) {
                    float[] w = new float[h.getOutputWeights().size()];
                    for (int j = 0; j < w.length; j++) w[j] = h.getOutputWeights().get(j);
                    sc += CircuitScore.dot(w, last, h.getHead() * c.dModel());
                }
                scores.computeIfAbsent(kind, x -> new ArrayList<>()).add(sc);
                int[] k = byKind.computeIfAbsent(kind, x -> new int[2]);
                k[1]++;
                if (hit) { k[0]++; flagged++; }
                if (trigger) { triggers++; if (hit) tp++; }
                if (pr.kind() == PromptMix.Kind.NORMAL) { normal++; if (hit) normalHits++; }
            }
        }
        scores.forEach((k, x) -> {
            double[] d = x.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "  score %-24s min %.4f p10 %.4f p50 %.4f p90 %.4f max %.4f%n", k, d[0], d[d.length / 10], d[d.length / 2],
                    d[d.length * 9 / 10], d[d.length - 1]);
        });
        System.out.println("  version metrics " + published.get(0).getMetrics());
        StringBuilder b = new StringBuilder();
        byKind.forEach((k, x) -> b.append(' ').append(k).append(' ').append(x[0]).append('/').append(x[1]));
        double recall = tp / (double) triggers, precision = flagged == 0 ? 0 : tp / (double) flagged, far = normalHits / (double) normal;
        System.out.println("  signature heads " + p.signature().getHeads().stream().map(h -> "L" + h.getLayer() + "H" + h.getHead()).toList());
        System.out.printf(Locale.ROOT, "zoo-small %s per-head score (threshold %.3f): recall %.3f (%d/%d), precision %.3f, normal %d/%d;%s%n", TASK,
                p.signature().getScoreThreshold(), recall, tp, triggers, precision, normalHits, normal, b);
        // The threshold a pure false-alarm calibration on normal prompts would use (the reference quantile of the target):
        // what it would flag on this traffic, the reason the circuit threshold sits above it (CircuitScore).
        double refQ = v.getMetrics().get("circuit_reference_quantile");
        long atQ = scores.values().stream().flatMap(List::stream).filter(x -> x > refQ).count();
        long tpAtQ = scores.getOrDefault("CIRCUIT:successor", List.of()).stream().filter(x -> x > refQ).count();
        System.out.printf(Locale.ROOT, "  at the reference quantile %.4f of the %.3f target: precision %.3f (%d/%d flagged), recall %.3f%n", refQ,
                p.signature().getFalseAlarmRate(), tpAtQ / (double) Math.max(1, atQ), tpAtQ, atQ, tpAtQ / (double) triggers);
        // The circuit detector's own held-out measurement: half the baseline (500 normal prompts), never fitted or chosen on.
        double heldOut = v.getMetrics().get("circuit_held_out_prompts"), heldOutFa = v.getMetrics().get("circuit_held_out_false_alarms");
        System.out.printf(Locale.ROOT, "  held out: %.0f false alarms of %.0f normal prompts (95%% upper bound %.4f)%n", heldOutFa, heldOut,
                FalseAlarmCalibration.upperBound95(Math.round(heldOutFa), Math.round(heldOut)));
        assertEquals(500, heldOut);
        assertTrue(FalseAlarmCalibration.upperBound95(Math.round(heldOutFa), Math.round(heldOut)) <= p.signature().getFalseAlarmRate(),
                heldOutFa + " false alarms of " + heldOut + " held-out normal prompts: the target is not shown to hold");
        assertTrue(recall >= 0.8, "recall " + recall);
        assertTrue(precision >= 0.9, "precision " + precision);
        assertTrue(far <= 0.02, "false alarms on normal prompts " + far);
    }
}
