package io.latentwatch.monitor;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.validate.SampleValidator;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HeadCode;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.interp.calibrate.ThresholdCalibration;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.interp.sae.TokenContext;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Real SAEs for the monitor's tests, trained by the trainer's own job on synthetic normal traffic
 * (SyntheticTraffic's default hooks: a 64-wide residual and an 8x8 hook_z), published into an
 * {@link ArtifactStore} with their SHA-256, plus the injections the detectors must catch.
 */
final class SaeFixture {
    static final String RESID = "blocks.3.hook_resid_post";
    static final String HOOK_Z = "blocks.4.attn.hook_z";

    final ArtifactStore store;
    final SyntheticTraffic traffic;
    final SampleValidator validator = new SampleValidator();
    final ActivationEncoder encoder = new ActivationEncoder(DType.F32);

    /** False-alarm rate per request at which published versions are calibrated (the trainer's thresholds); 0: not calibrated. */
    private double calibrationRate;

    SaeFixture(Path root, SyntheticTraffic traffic) throws Exception {
        this.store = new ArtifactStore(root);
        this.traffic = traffic;
    }

    /**
     * Versions published from now on carry detector thresholds chosen as the trainer chooses them
     * ({@link ThresholdCalibration}, on the held-out half of the rows, one row per request).
     */
    SaeFixture calibratedAt(double falseAlarmRate) {
        this.calibrationRate = falseAlarmRate;
        return this;
    }

    /** Rows of one hook from n normal samples (hook_z: one row per head). */
    float[] rows(int n, String hook, SyntheticTraffic source) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HiddenStateSample s = source.normal();
            List<float[]> v = validator.validate(s).values();
            for (int a = 0; a < s.getActivations().size(); a++) if (s.getActivations().get(a).getHook().equals(hook)) out.add(v.get(a));
        }
        int w = out.get(0).length;
        float[] all = new float[out.size() * w];
        for (int i = 0; i < out.size(); i++) System.arraycopy(out.get(i), 0, all, i * w, w);
        return all;
    }

    /** Trains, publishes and describes one SAE version. */
    SaeVersion train(String model, String hook, int dIn, int dSae, int k, float[] rows, long seed, String version,
                     List<CircuitSignature> circuits) throws Exception {
        SaeConfig cfg = SaeConfig.topk(dIn, dSae, k, hook, model);
        try (SparseAutoencoder sae = dictionary(cfg, rows, seed)) {
            return publish(sae, rows, version, circuits);
        }
    }

    /** Saves {@code sae} (any architecture) with its baseline and labels on the second half of {@code rows}, and publishes it. */
    SaeVersion publish(SparseAutoencoder sae, float[] rows, String version, List<CircuitSignature> circuits) throws Exception {
        SaeConfig cfg = sae.config();
        int dIn = cfg.dIn();
        int n = rows.length / dIn;
        Path staging = Files.createTempDirectory(store.root().getParent(), "staging-");
        // The baseline on held-out normal rows, computed and written by the interp classes the trainer uses.
        float[] val = Arrays.copyOfRange(rows, (n / 2) * dIn, n * dIn);
        SaeFiles.save(sae, staging);
        SaeEvaluation eval = SaeEvaluation.of(sae, val, 512, 0.1f);
        SaeBaseline baseline = SaeBaseline.of(eval);
        baseline.write(staging);
        DetectorThresholds thresholds = null;
        if (calibrationRate > 0) {
            int m = val.length / dIn;
            int[] request = new int[m];
            int[] positions = new int[m];
            for (int i = 0; i < m; i++) {
                request[i] = i;
                positions[i] = -1;
            }
            thresholds = ThresholdCalibration.calibrate(sae, val, request, eval.relativeError(), positions, baseline, null, 0,
                    calibrationRate, 1, 1, 7);
            thresholds.write(staging);
        }
        List<TokenContext> ctx = new ArrayList<>();
        for (int i = 0; i < val.length / dIn; i++) ctx.add(new TokenContext("tok" + (i % 50), "context " + i, i, 0));
        LatentLabels.compute(sae, val, ctx, 5, null).write(staging);
        ArtifactStore.Artifact a = store.publish(staging, cfg.modelName(), cfg.hookName(), version);
        return SaeVersion.newBuilder(describe(cfg.modelName(), cfg.hookName(), version, a, dIn, cfg.dSae(), circuits))
                .setArchitecture(cfg.architecture()).setThresholds(thresholds == null ? Map.of() : thresholds.asMap()).build();
    }

    /** Publishes an existing artifact directory's files again under a new version (e.g. to corrupt it afterwards). */
    SaeVersion republish(SaeVersion from, String version) throws Exception {
        ArtifactStore.Artifact a = store.publish(Path.of(URI.create(from.getArtifactUri())), from.getModelId(), from.getHook(), version);
        return describe(from.getModelId(), from.getHook(), version, a, from.getDIn(), from.getDSae(), from.getCircuits());
    }

    private static SaeVersion describe(String model, String hook, String version, ArtifactStore.Artifact a, int dIn, int dSae,
                                       List<CircuitSignature> circuits) {
        return SaeVersion.newBuilder().setModelId(model).setHook(hook).setVersion(version)
                .setArtifactUri(a.uri().toString()).setSha256(a.sha256()).setCreatedMs(Instant.now())
                .setDIn(dIn).setDSae(dSae).setArchitecture("topk").setMetrics(Map.of()).setBaseline(Map.of())
                .setCircuits(circuits).build();
    }

    /** Latents whose encoder bias keeps them off on normal traffic: "rare" features a strong push turns on. */
    static final int RARE_LATENTS = 4;

    /**
     * A tied TopK dictionary (W_enc = W_decᵀ, unit random decoder rows, b_dec = data mean) instead of a
     * trained one: SaeTraining needs minutes on this shared machine, and the monitor's tests are about
     * the monitor. The first {@link #RARE_LATENTS} latents get an encoder bias of -12 standard
     * deviations of the centred data, so they never fire on normal traffic.
     */
    static SparseAutoencoder dictionary(SaeConfig cfg, float[] rows, long seed) {
        int d = cfg.dIn(), m = cfg.dSae(), n = rows.length / d;
        Random r = new Random(seed);
        float[] mean = new float[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += rows[i * d + j] / n;
        double var = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) var += Math.pow(rows[i * d + j] - mean[j], 2) / ((double) n * d);
        float[] wDec = new float[m * d], wEnc = new float[d * m], bEnc = new float[m];
        for (int a = 0; a < m; a++) {
            double norm = 0;
            for (int j = 0; j < d; j++) { wDec[a * d + j] = (float) r.nextGaussian(); norm += wDec[a * d + j] * wDec[a * d + j]; }
            for (int j = 0; j < d; j++) { wDec[a * d + j] /= (float) Math.sqrt(norm); wEnc[j * m + a] = wDec[a * d + j]; }
            if (a < RARE_LATENTS) bEnc[a] = (float) (-12 * Math.sqrt(var));
        }
        return SparseAutoencoder.of(cfg, new Tensor(wEnc, d, m), new Tensor(bEnc, m), new Tensor(wDec, m, d), new Tensor(mean, d));
    }

    static SparseAutoencoder load(SaeVersion v) throws Exception {
        return SaeFiles.load(ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256()));
    }

    /** The argmax code of each row. */
    static int[] codes(SparseAutoencoder sae, float[] rows) {
        int d = sae.config().dIn(), n = rows.length / d;
        Tensor z = sae.encode(new Tensor(rows, n, d));
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            int best = -1;
            float bv = 0;
            for (int j = 0; j < sae.config().dSae(); j++) {
                float v = z.data()[i * sae.config().dSae() + j];
                if (v > bv) { bv = v; best = j; }
            }
            c[i] = best;
        }
        return c;
    }

    /** Column j of W_enc, unit length: the input direction that drives latent j hardest. */
    static float[] encoderDirection(SparseAutoencoder sae, int j) {
        Tensor w = sae.weights().get("W_enc");
        int d = sae.config().dIn(), m = sae.config().dSae();
        float[] v = new float[d];
        double n = 0;
        for (int i = 0; i < d; i++) { v[i] = w.data()[i * m + j]; n += v[i] * v[i]; }
        for (int i = 0; i < d; i++) v[i] /= (float) Math.sqrt(n);
        return v;
    }

    /** A normal sample with some activations replaced. */
    HiddenStateSample withActivations(HiddenStateSample base, String kind, Map<String, float[]> replace) {
        List<Activation> acts = new ArrayList<>();
        for (Activation a : base.getActivations()) {
            float[] r = replace.get(a.getHook());
            if (r == null) { acts.add(a); continue; }
            int[] shape = a.getShape().stream().mapToInt(Integer::intValue).toArray();
            if (Math.multiplyExact(shape.length == 1 ? shape[0] : shape[0] * shape[1], 1) != r.length) shape = new int[] {r.length};
            acts.add(encoder.encode(a.getHook(), a.getPosition(), shape, r));
        }
        return HiddenStateSample.newBuilder(base).setRequestId(kind + "-" + base.getRequestId()).setActivations(acts).build();
    }

    float[] values(HiddenStateSample s, String hook) {
        List<float[]> v = validator.validate(s).values();
        for (int a = 0; a < s.getActivations().size(); a++) if (s.getActivations().get(a).getHook().equals(hook)) return v.get(a).clone();
        throw new IllegalArgumentException(hook);
    }

    static CircuitSignature signature(String name, int layer, int[] heads, int[] codes, int min) {
        List<HeadCode> hc = new ArrayList<>();
        for (int i = 0; i < heads.length; i++) hc.add(new HeadCode(layer, heads[i], List.of(codes[i]), 1.0, List.of()));
        return CircuitSignature.newBuilder().setName(name).setHeads(hc).setMinMatchedHeads(min).build();
    }
}
