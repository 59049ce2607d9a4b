package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.calibrate.ThresholdCalibration;
import io.latentwatch.interp.circuits.CircuitDiscovery;
import io.latentwatch.interp.circuits.CircuitScore;
import io.latentwatch.interp.circuits.CircuitPrompts;
import io.latentwatch.interp.circuits.HeadCodeSignature;
import io.latentwatch.interp.model.HeadOutputs;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HeadCode;
import io.latentwatch.schema.SaeVersion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.Lock;

/**
 * One circuit refit: SAE circuit identification (O'Neill & Bui 2024) for one task from its positive and negative
 * example prompts, judged by the quality gates and published as the SaeVersion of {@code blocks.L.attn.hook_result}
 * (per-head outputs z_h W_O[h]) through the same {@link ArtifactStore} and {@link VersionPublisher} as an SAE refit.
 * The artifact is the circuit SAE (over per-head outputs, d_in = d_model) with a baseline measured on reference
 * prompts at their last position, which is what the node publishes for that hook ({@link HeadOutputs}); the record
 * carries the task's signature restricted to layer L's heads, since only that layer's codes reach the monitor.
 *
 * <p>Gates: the signature must keep a head in layer L, and the circuit SAE must pass {@link #DEFAULT_GATES}
 * (absolute gates only: a new signature is not "better" than the one in force, it describes new examples).
 */
public final class CircuitRefit {
    /**
     * Absolute gates of a circuit SAE: a small ReLU+L1 SAE fitted on a few dozen prompts' head outputs, read by the
     * monitor through each head's argmax latent (its code), so it is a code book rather than a faithful reconstruction;
     * on reference traffic its FVU is typically 0.5-0.7 (zoo-small). It is refused when it explains almost nothing
     * (FVU above 0.9), when no latent fires (L0 below 0.5) or when nearly every latent is dead.
     */
    public static final QualityGates DEFAULT_GATES = new QualityGates(0.9, 0.5, 512, 0.98, Double.POSITIVE_INFINITY, 0, 0);

    /**
     * What to discover.
     *
     * @param layer     the attention layer whose heads the node samples (hook_z)
     * @param baseline  reference prompts (normal traffic) for the SAE's latent frequencies
     */
    public record Spec(String modelId, String task, int layer, List<String> positives, List<String> negatives,
                       List<String> baseline, long seed, double falseAlarmRate, double circuitFalseAlarmRate) {
        public Spec(String modelId, String task, int layer, List<String> positives, List<String> negatives, List<String> baseline, long seed) {
            this(modelId, task, layer, positives, negatives, baseline, seed, DetectorThresholds.DEFAULT_RATE, DetectorThresholds.DEFAULT_RATE);
        }

        /** The same discovery with another target false-alarm rate per request for the hook's OOD detectors (their share of a budget). */
        public Spec withFalseAlarmRate(double rate) {
            return new Spec(modelId, task, layer, positives, negatives, baseline, seed, rate, circuitFalseAlarmRate);
        }

        /** The same discovery with another target false-alarm rate per request for the circuit detector itself. */
        public Spec withCircuitFalseAlarmRate(double rate) {
            return new Spec(modelId, task, layer, positives, negatives, baseline, seed, falseAlarmRate, rate);
        }

        public String hook() {
            return "blocks." + layer + ".attn.hook_result";
        }
    }

    /** The refit's result (as an SAE refit's) and, when published, the hook, signature and seconds taken. */
    public record Outcome(SaeRefit.Result result, String hook, CircuitSignature signature, double seconds) {}

    private final HookedTransformer model;
    private final Lock lock;
    private final ArtifactStore store;
    private final VersionPublisher versions;
    private final QualityGates gates;

    /** {@code lock} is held during forward passes (the demo passes the node's generation lock). */
    public CircuitRefit(HookedTransformer model, Lock lock, ArtifactStore store, VersionPublisher versions, QualityGates gates) {
        this.model = model;
        this.lock = lock;
        this.store = store;
        this.versions = versions;
        this.gates = gates;
    }

    /** Positive and negative prompts of {@code task} from a model's {@code circuits.json} (the zoo's format). */
    public static Spec fromCircuitsJson(Path circuitsJson, String modelId, String task, int layer, List<String> baseline, long seed)
            throws IOException {
        JsonNode t = new ObjectMapper().readTree(circuitsJson.toFile()).path("tasks").path(task);
        if (t.isMissingNode()) throw new IllegalArgumentException(circuitsJson + " has no task '" + task + "'");
        return new Spec(modelId, task, layer, strings(t.path("positive_examples"), circuitsJson, task + ".positive_examples"),
                strings(t.path("negative_examples"), circuitsJson, task + ".negative_examples"), baseline, seed);
    }

    public Outcome run(Spec spec) throws Exception {
        long t0 = System.nanoTime();
        List<int[]> pos = CircuitPrompts.tokenize(model, spec.positives());
        List<int[]> neg = CircuitPrompts.tokenize(model, spec.negatives());
        int layer = spec.layer();
        String hook = spec.hook();
        HeadOutputs heads = new HeadOutputs(model);
        Path staging = Files.createTempDirectory(store.root(), ".circuit-");
        try {
            HeadCodeSignature sig;
            SaeEvaluation ev;
            SaeBaseline baseline;
            DetectorThresholds thresholds;
            CircuitScore.Choice scored;
            long heldOutFlags;
            CircuitSignature scoredSig;
            int dIn, dSae;
            String arch;
            CircuitDiscovery.Result r;
            lock.lock();
            try {
                r = CircuitDiscovery.run(model, spec.task(), pos, neg, CircuitDiscovery.Options.defaults().withSeed(spec.seed()));
            } finally {
                lock.unlock();
            }
            try (r) {
                SparseAutoencoder sae = r.coder().sae();
                SaeFiles.save(sae, staging);
                SaeVersions.stampConfig(staging, spec.modelId(), hook);
                // Reference data: what the node publishes for this hook, the prompt's last position, of the reference
                // prompts and of the task's own examples, so that the SAE's latents have a firing frequency to compare
                // with (the rare-latent, recon-error and latent-drift detectors also read this hook; a baseline over
                // every position made latent-drift fire on every window of normal traffic); tokens as in discovery,
                // so without circuits.json's [BOS] marker.
                // Half of a large baseline is held out: never seen by the fit, the calibration or the head choice, it
                // measures the circuit detector's false-alarm rate on normal requests (heldOutRate).
                List<String> calibration = calibrationPrompts(spec.baseline()), heldOut = spec.baseline().subList(calibration.size(), spec.baseline().size());
                List<int[]> ref = new ArrayList<>();
                for (String b : calibration) ref.add(model.toTokens(b));
                ref.addAll(pos);
                ref.addAll(neg);
                List<Integer> positions = new ArrayList<>();
                float[] rows = headRows(model, heads, "blocks." + layer + ".attn.hook_z", layer, ref, lock, true, positions);
                ev = SaeEvaluation.of(sae, rows, 2048, SaeTrainingOptions.defaults().denseThreshold());
                int[] pos0 = positions.stream().mapToInt(Integer::intValue).toArray();
                baseline = SaeBaseline.of(ev, pos0);
                baseline.write(staging);
                int nHeads = heads.heads();
                int nRef = calibration.size() * nHeads;
                // Thresholds of the OOD detectors on this hook, on the reference (normal) prompts only: one request = one
                // prompt's last position, all heads.
                int[] request = new int[nRef];
                for (int i = 0; i < nRef; i++) request[i] = i / nHeads;
                long refRows = ev.rows();
                long[] counts = new long[baseline.firingFrequency().length];
                for (int j = 0; j < counts.length; j++) counts[j] = Math.round(baseline.firingFrequency()[j] * (double) refRows);
                int dModel = heads.dModel();
                thresholds = ThresholdCalibration.calibrate(sae, Arrays.copyOf(rows, nRef * dModel), request,
                        Arrays.copyOf(ev.relativeError(), nRef), Arrays.copyOf(pos0, nRef), baseline,
                        DetectorThresholds.smoothedFrequency(counts, refRows), refRows, spec.falseAlarmRate(), 1, nHeads, spec.seed());
                thresholds.write(staging);
                // The per-head score over the head outputs (CircuitScore), heads and threshold chosen on these prompts.
                int w = nHeads * dModel;
                int nB = calibration.size();
                List<Integer> unused = new ArrayList<>();
                float[] outliers = headRows(model, heads, "blocks." + layer + ".attn.hook_z", layer, outliers(model, ref.subList(0, nB), spec.seed()),
                        lock, true, unused);
                scored = CircuitScore.choose(Arrays.copyOf(rows, nB * w), Arrays.copyOfRange(rows, nB * w, (nB + pos.size()) * w), outliers,
                        Arrays.copyOfRange(rows, (nB + pos.size()) * w, rows.length), nHeads, dModel, spec.circuitFalseAlarmRate());
                scoredSig = scoredSignature(r, layer, scored, spec.circuitFalseAlarmRate());
                heldOutFlags = heldOutFlags(scored, heldOut, heads, layer, dModel);
                dIn = sae.config().dIn();
                dSae = sae.config().dSae();
                arch = sae.config().isTopK() ? "topk" : "relu";
                sig = r.signature();
            }
            Map<String, Double> metrics = ev.metrics();
            List<String> reasons = new ArrayList<>(gates.judge(metrics, null).reasons());
            HeadCodeSignature kept = restrict(sig, layer);
            if (kept == null) reasons.add("circuit '" + sig.name() + "' has no signature head in layer " + layer + " (heads "
                    + sig.heads().stream().map(h -> h.head().toString()).toList() + ")");
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!reasons.isEmpty()) return new Outcome(new SaeRefit.Result(false, null, List.copyOf(reasons), metrics), hook, null, seconds);
            // Codes-only signature heads (discovery) are replaced by the scored heads; kept decides whether layer L has any.
            CircuitSignature avro = scoredSig;
            metrics.put("circuit_heads", (double) scored.heads().length);
            metrics.put("circuit_score_threshold", scored.threshold());
            metrics.put("circuit_score_separation", scored.separation());
            metrics.put("circuit_reference_far", scored.referenceRate());
            metrics.put("circuit_positive_recall", scored.positiveRate());
            metrics.put("circuit_negative_rate", scored.negativeRate());
            metrics.put("circuit_outlier_rate", scored.outlierRate());
            metrics.put("circuit_false_alarm_target", spec.circuitFalseAlarmRate());
            metrics.put("circuit_reference_prompts", (double) nRefPrompts(spec));
            metrics.put("circuit_held_out_prompts", (double) (spec.baseline().size() - nRefPrompts(spec)));
            metrics.put("circuit_held_out_false_alarms", (double) heldOutFlags);
            metrics.put("circuit_reference_quantile", scored.referenceQuantile());
            metrics.put("circuit_positive_recall_at_reference_quantile", scored.positiveRateAtReferenceQuantile());
            metrics.put("circuit_outlier_rate_at_reference_quantile", scored.outlierRateAtReferenceQuantile());
            // Beside the SAE files, so that the version can be re-announced from the store alone (SaeVersions.fromArtifact).
            Files.writeString(staging.resolve(CircuitTrainJob.SIGNATURE), CircuitTrainJob.avroJson(avro));
            ArtifactStore.Current cur = store.current(spec.modelId(), hook);
            String version = store.nextVersion(spec.modelId(), hook);
            ArtifactStore.Artifact a = store.publish(staging, spec.modelId(), hook, version);
            SaeVersion v = SaeVersion.newBuilder()
                    .setModelId(spec.modelId()).setHook(hook).setVersion(version)
                    .setArtifactUri(a.uri().toString()).setSha256(a.sha256()).setCreatedMs(Instant.now())
                    .setDIn(dIn).setDSae(dSae).setArchitecture(arch)
                    .setMetrics(metrics).setBaseline(baseline.summary())
                    .setThresholds(thresholds.asMap())
                    .setCircuits(List.of(avro))
                    .setPreviousVersion(cur == null ? null : cur.version())
                    .build();
            versions.publish(v);
            store.promote(spec.modelId(), hook, version, a, metrics);
            return new Outcome(new SaeRefit.Result(true, version, List.of(), metrics), hook, avro, (System.nanoTime() - t0) / 1e9);
        } finally {
            ArtifactStore.deleteTree(staging);
        }
    }

    /** Held out when the baseline has at least this many prompts (half of them). */
    static final int HOLD_OUT_FROM = 400;

    /** The baseline prompts the refit fits and calibrates on: the first half of a large baseline, else all of it. */
    static List<String> calibrationPrompts(List<String> baseline) {
        return baseline.size() >= HOLD_OUT_FROM ? baseline.subList(0, baseline.size() / 2) : baseline;
    }

    private static int nRefPrompts(Spec spec) {
        return calibrationPrompts(spec.baseline()).size();
    }

    /** How many held-out normal prompts the chosen score flags: the circuit detector's false alarms, measured apart. */
    private long heldOutFlags(CircuitScore.Choice c, List<String> heldOut, HeadOutputs heads, int layer, int dModel) {
        if (heldOut.isEmpty()) return 0;
        List<int[]> toks = new ArrayList<>();
        for (String b : heldOut) toks.add(model.toTokens(b));
        float[] rows = headRows(model, heads, "blocks." + layer + ".attn.hook_z", layer, toks, lock, true, new ArrayList<>());
        int w = heads.heads() * dModel;
        long n = 0;
        for (int p = 0; p < rows.length / w; p++) if (c.score(rows, p * w, dModel) > c.threshold()) n++;
        return n;
    }

    /**
     * The signature the monitor matches: the heads {@link CircuitScore#choose} picked in {@code layer} with their weights
     * and threshold, each head keeping the positive-only codes discovery found for it (the code rule of older monitors).
     */
    static CircuitSignature scoredSignature(CircuitDiscovery.Result r, int layer, CircuitScore.Choice c, double rate) {
        List<HeadCode> heads = new ArrayList<>();
        for (int i = 0; i < c.heads().length; i++) {
            int h = c.heads()[i];
            List<Integer> codes = new ArrayList<>();
            double score = 0;
            for (var n : r.nodes()) {
                if (n.head().layer() == layer && n.head().head() == h) {
                    codes.addAll(n.codes());
                    score = r.nodeScore(n);
                }
            }
            List<Float> w = new ArrayList<>();
            for (float x : c.weights().get(i)) w.add(x);
            heads.add(HeadCode.newBuilder().setLayer(layer).setHead(h).setCodes(codes).setScore(score).setOutputWeights(w).build());
        }
        return CircuitSignature.newBuilder().setName(r.signature().name()).setHeads(heads).setMinMatchedHeads(1)
                .setScoreThreshold(c.threshold()).setFalseAlarmRate(rate).build();
    }

    /**
     * Synthetic inputs that are unusual without being the task (outlier exposure): 200 random token sequences of 3-12
     * tokens after BOS, and 200 reference prompts with their tokens shuffled (BOS kept first).
     */
    static List<int[]> outliers(HookedTransformer m, List<int[]> reference, long seed) {
        Random r = new Random(seed * 7919 + 13);
        int vocab = m.config().vocabSize();
        List<int[]> out = new ArrayList<>();
        int[] bos = m.toTokens("");
        for (int i = 0; i < 200; i++) {
            int[] t = Arrays.copyOf(bos, bos.length + 3 + r.nextInt(10));
            for (int j = bos.length; j < t.length; j++) t[j] = 3 + r.nextInt(Math.max(1, vocab - 3));
            out.add(t);
        }
        for (int i = 0; i < Math.min(200, reference.size()); i++) {
            int[] t = reference.get(i).clone();
            for (int j = t.length - 1; j > bos.length; j--) {
                int k = bos.length + r.nextInt(j - bos.length + 1);
                int x = t[j]; t[j] = t[k]; t[k] = x;
            }
            out.add(t);
        }
        return out;
    }

    /** The signature's heads of {@code layer} only (null when none is left); the match threshold is capped at what is left. */
    static HeadCodeSignature restrict(HeadCodeSignature s, int layer) {
        List<HeadCodeSignature.HeadCodes> kept = new ArrayList<>();
        for (HeadCodeSignature.HeadCodes h : s.heads()) if (h.head().layer() == layer) kept.add(h);
        if (kept.isEmpty()) return null;
        return new HeadCodeSignature(s.name(), kept, Math.max(1, Math.min(s.minMatchedHeads(), kept.size())));
    }

    /**
     * Per-head outputs [n_heads, d_model] at the last position of each prompt ({@code lastOnly}: what the node publishes, one
     * such row block per request) or at every position after the first, stacked; the token position of each row (n_heads per
     * position) is appended to {@code positions}.
     */
    static float[] headRows(HookedTransformer m, HeadOutputs heads, String hook, int layer, List<int[]> prompts, Lock lock,
                            boolean lastOnly, List<Integer> positions) {
        int w = heads.heads() * heads.dModel();
        float[] out = new float[0];
        int n = 0;
        for (int from = 0; from < prompts.size(); from += 64) {
            List<int[]> part = prompts.subList(from, Math.min(prompts.size(), from + 64));
            int[][] toks = new int[part.size()][];
            for (int i = 0; i < toks.length; i++) toks[i] = HookedTransformerActivationModel.fitContext(m, part.get(i));
            Tensor z = HookedTransformerActivationModel.cacheHook(m, lock, toks, hook);
            int maxLen = z.shape()[1];
            int zw = z.shape()[2] * z.shape()[3];
            for (int b = 0; b < toks.length; b++) {
                for (int p = lastOnly ? toks[b].length - 1 : toks[b].length > 1 ? 1 : 0; p < toks[b].length; p++) {
                    float[] row = Arrays.copyOfRange(z.data(), (b * maxLen + p) * zw, (b * maxLen + p + 1) * zw);
                    if ((n + 1) * w > out.length) out = Arrays.copyOf(out, Math.max(2 * out.length, 1024 * w));
                    System.arraycopy(heads.project(layer, row), 0, out, n * w, w);
                    for (int h = 0; h < heads.heads(); h++) positions.add(p);
                    n++;
                }
            }
        }
        return Arrays.copyOf(out, n * w);
    }

    private static List<String> strings(JsonNode arr, Path file, String what) {
        if (!arr.isArray() || arr.isEmpty()) throw new IllegalArgumentException(file + ": " + what + " is missing or empty");
        List<String> out = new ArrayList<>();
        arr.forEach(x -> out.add(x.asText()));
        return out;
    }
}
