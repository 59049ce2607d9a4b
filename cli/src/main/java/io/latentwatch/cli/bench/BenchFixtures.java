package io.latentwatch.cli.bench;

import io.latentwatch.common.ArtifactStore;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.schema.SamplingMetadata;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** What the monitor benchmarks share: random samples, a random SAE in an artifact store, quantiles. */
final class BenchFixtures {
    private BenchFixtures() {}

    /** Samples with one Gaussian activation each (same scale as the SAE's baseline rows). */
    public static final class SampleMaker {
        final List<String> models;
        final String modelId, hook;
        final int dIn;
        final int positions;
        final SplittableRandom random;
        final ActivationEncoder encoder = new ActivationEncoder();
        private long count;

        SampleMaker(String modelId, String hook, int dIn, long seed) {
            this(List.of(modelId), hook, dIn, 1, seed);
        }

        /** Samples of {@code positions} activations each, their model ids taken from {@code models} in turn. */
        SampleMaker(List<String> models, String hook, int dIn, int positions, long seed) {
            this.models = List.copyOf(models);
            this.modelId = models.get(0);
            this.hook = hook;
            this.dIn = dIn;
            this.positions = positions;
            this.random = new SplittableRandom(seed);
        }

        HiddenStateSample next(String id) {
            List<Activation> acts = new ArrayList<>(positions);
            for (int p = 0; p < positions; p++) {
                float[] v = new float[dIn];
                for (int i = 0; i < dIn; i++) v[i] = (float) gaussian(random);
                acts.add(encoder.encode(hook, p + 1, new int[]{dIn}, v));
            }
            return HiddenStateSample.newBuilder().setModelId(models.get((int) (count++ % models.size()))).setModelVersion("bench")
                    .setNodeId("bench").setRequestId(id).setTimestampMs(Instant.now()).setTokenIds(List.of(1, 2)).setTokenText(null)
                    .setSampling(SamplingMetadata.newBuilder().setSampleRate(1.0).setPositionPolicy("last").build())
                    .setActivations(acts).build();
        }
    }

    static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), w = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    }

    /** A random TopK SAE in SAELens files + a baseline over Gaussian rows, in an artifact store; its SaeVersion. */
    static SaeVersion writeSae(Path work, String modelId, String hook, int dIn, int dSae, int k) throws Exception {
        return writeSae(work, modelId, hook, dIn, dSae, k, 8192);
    }

    /** As above with a baseline over {@code baselineRows} Gaussian rows. */
    static SaeVersion writeSae(Path work, String modelId, String hook, int dIn, int dSae, int k, int baselineRows) throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        float[] wEnc = new float[dIn * dSae];
        float scale = (float) (1 / Math.sqrt(dIn));
        for (int i = 0; i < wEnc.length; i++) wEnc[i] = (float) gaussian(r) * scale;
        float[] wDec = new float[dSae * dIn];
        for (int j = 0; j < dSae; j++) {
            double norm = 0;
            for (int i = 0; i < dIn; i++) norm += wEnc[i * dSae + j] * wEnc[i * dSae + j];
            float inv = (float) (1 / Math.sqrt(norm));
            for (int i = 0; i < dIn; i++) wDec[j * dIn + i] = wEnc[i * dSae + j] * inv;
        }
        Path dir = Files.createDirectories(work.resolve("sae"));
        SaeConfig cfg = SaeConfig.topk(dIn, dSae, k, hook, modelId);
        try (SparseAutoencoder sae = SparseAutoencoder.of(cfg, new Tensor(wEnc, dIn, dSae), new Tensor(new float[dSae], dSae),
                new Tensor(wDec, dSae, dIn), new Tensor(new float[dIn], dIn))) {
            SaeFiles.save(sae, dir);
            // The baseline must see every latent fire a few times (64 of 24576 per row: ~21 times in 8192 rows),
            // or the rare-latent detector alerts on almost every sample and the benchmark measures an alert storm.
            float[] rows = new float[baselineRows * dIn];
            for (int i = 0; i < rows.length; i++) rows[i] = (float) gaussian(r);
            SaeBaseline.of(SaeEvaluation.of(sae, rows, 256, 0.1f)).write(dir);
        }
        ArtifactStore store = new ArtifactStore(work.resolve("artifacts"));
        ArtifactStore.Artifact a = store.publish(dir, modelId, hook, "v1");
        return SaeVersion.newBuilder().setModelId(modelId).setHook(hook).setVersion("v1").setArtifactUri(a.uri().toString())
                .setSha256(a.sha256()).setCreatedMs(Instant.now()).setDIn(dIn).setDSae(dSae).setArchitecture("topk")
                .setMetrics(Map.of()).setBaseline(Map.of()).setPreviousVersion(null).build();
    }

    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temp directory left behind is harmless
        }
    }
}
