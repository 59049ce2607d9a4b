package io.latentwatch.interp.sae;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training recovers planted features: data made of sparse non-negative combinations of known unit
 * directions (plus a constant offset and a little noise). A good SAE's decoder rows must line up
 * with the true directions.
 */
class SaeTrainingTest {
    static final int D = 32, TRUE = 48;

    /** Synthetic generator: each row = offset + Σ_{3 random features} a_f·u_f + noise, a_f ~ U(1, 3). */
    static final class Planted {
        final float[][] dirs = new float[TRUE][D];
        final float[] offset = new float[D];
        final Random r;

        Planted(long seed) {
            r = new Random(seed);
            for (float[] u : dirs) {
                double n = 0;
                for (int j = 0; j < D; j++) { u[j] = (float) r.nextGaussian(); n += u[j] * u[j]; }
                for (int j = 0; j < D; j++) u[j] /= (float) Math.sqrt(n);
            }
            for (int j = 0; j < D; j++) offset[j] = (float) (r.nextGaussian() * 2);
        }

        float[] rows(int n) {
            float[] out = new float[n * D];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < D; j++) out[i * D + j] = offset[j] + (float) (r.nextGaussian() * 0.01);
                for (int a = 0; a < 3; a++) {
                    float[] u = dirs[r.nextInt(TRUE)];
                    float amp = 1f + 2f * r.nextFloat();
                    for (int j = 0; j < D; j++) out[i * D + j] += amp * u[j];
                }
            }
            return out;
        }
    }

    static double recovered(SparseAutoencoder sae, Planted p) {
        int hits = 0;
        for (float[] u : p.dirs) {
            double best = -1;
            for (int i = 0; i < sae.config().dSae(); i++) {
                float[] w = sae.decoderRow(i);
                double dot = 0, n = 0;
                for (int j = 0; j < D; j++) { dot += w[j] * u[j]; n += w[j] * w[j]; }
                best = Math.max(best, dot / Math.sqrt(n));
            }
            if (best > 0.9) hits++;
        }
        return hits / (double) TRUE;
    }

    @Test
    void topkSaeRecoversPlantedDirections() throws Exception {
        Planted p = new Planted(1);
        SaeConfig cfg = SaeConfig.topk(D, 96, 4, "blocks.0.hook_resid_post", "synthetic");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(700).withBatchSize(256).withLr(4e-3f)
                .withDeadTokens(20_000).withEvalEvery(150);
        SaeTraining.Result res = SaeTraining.train(cfg, opt, p.rows(4096), p::rows, p.rows(2048));
        try (SparseAutoencoder sae = res.sae()) {
            double frac = recovered(sae, p);
            System.out.printf("topk: recovered %.2f of planted directions, val FVU %.4f, L0 %.2f, dead %.2f, %.0f tokens/s%n",
                    frac, res.validation().fvu(), res.validation().l0(), res.validation().deadFraction(), res.tokensPerSecond());
            assertTrue(frac >= 0.9, "recovered only " + frac + " of the planted directions");
            assertTrue(res.validation().fvu() < 0.1, "validation FVU " + res.validation().fvu());
            assertTrue(res.validation().l0() <= 4.0 + 1e-9, "TopK L0 must not exceed k");
            assertFalse(res.history().isEmpty());
            // The loss curve goes down.
            assertTrue(res.history().get(res.history().size() - 1).mse() < res.history().get(0).mse());
            Path dir = Files.createTempDirectory("sae-report");
            Path html = TrainingReport.write(res, cfg, opt, dir);
            assertTrue(Files.size(dir.resolve("loss.png")) > 1000);
            assertTrue(Files.readString(html).contains("FVU"));
        }
    }

    @Test
    void reluSaeWithNormWeightedL1RecoversPlantedDirections() {
        Planted p = new Planted(2);
        SaeConfig cfg = SaeConfig.relu(D, 96, "blocks.0.hook_resid_post", "synthetic");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(900).withBatchSize(256).withLr(4e-3f)
                .withL1(1.0f).withDeadTokens(25_600).withResampleEvery(150).withEvalEvery(150);
        SaeTraining.Result res = SaeTraining.train(cfg, opt, p.rows(4096), p::rows, p.rows(2048));
        try (SparseAutoencoder sae = res.sae()) {
            double frac = recovered(sae, p);
            System.out.printf("relu: recovered %.2f of planted directions, val FVU %.4f, L0 %.2f, dead %.2f, resampled %d%n",
                    frac, res.validation().fvu(), res.validation().l0(), res.validation().deadFraction(), res.resampledLatents());
            assertTrue(frac >= 0.8, "recovered only " + frac + " of the planted directions");
            assertTrue(res.validation().l0() < 12, "ReLU SAE should be sparse, L0 " + res.validation().l0());
        }
    }

    @Test
    void batchTopKSaeRecoversPlantedDirectionsAndIsSavedAsJumpRelu() throws Exception {
        Planted p = new Planted(3);
        SaeConfig cfg = SaeConfig.topk(D, 96, 4, "blocks.0.hook_resid_post", "synthetic");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(400).withBatchSize(256).withLr(4e-3f)
                .withDeadTokens(20_000).withEvalEvery(400);
        SaeTraining.Result res = SaeTraining.train(TrainingMethod.BATCH_TOPK, cfg, opt, p.rows(4096), p::rows, () -> p.rows(2048));
        try (SparseAutoencoder sae = res.sae()) {
            double frac = recovered(sae, p);
            System.out.printf("batchtopk: recovered %.2f, val FVU %.4f, L0 %.2f%n", frac, res.validation().fvu(), res.validation().l0());
            assertEquals(SaeConfig.JUMPRELU, sae.config().architecture(), "SAELens saves BatchTopK SAEs as JumpReLU");
            float[] th = sae.weights().get("threshold").data();
            assertTrue(th[0] > 0, "the learned global threshold is positive: " + th[0]);
            for (float v : th) assertEquals(th[0], v, 1e-6f * Math.abs(th[0]), "one threshold for every latent (unit decoder rows)");
            assertTrue(frac >= 0.85, "recovered only " + frac + " of the planted directions");
            assertTrue(res.validation().fvu() < 0.15, "validation FVU " + res.validation().fvu());
            // The threshold replaces the batch-wide choice at inference: the mean L0 stays near k.
            assertTrue(res.validation().l0() > 2 && res.validation().l0() < 8, "L0 " + res.validation().l0());
        }
    }

    @Test
    void jumpReluSaeTrainsItsThresholdsWithTheStraightThroughEstimator() throws Exception {
        Planted p = new Planted(4);
        SaeConfig cfg = SaeConfig.jumpRelu(D, 96, "blocks.0.hook_resid_post", "synthetic");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(700).withBatchSize(256).withLr(4e-3f)
                .withL1(0.05f).withDeadTokens(20_000).withEvalEvery(700);
        SaeTraining.Result res = SaeTraining.train(cfg, opt, p.rows(4096), p::rows, p.rows(2048));
        try (SparseAutoencoder sae = res.sae()) {
            double frac = recovered(sae, p);
            float[] th = sae.weights().get("threshold").data();
            double mean = 0;
            for (float v : th) mean += v / th.length;
            System.out.printf("jumprelu: recovered %.2f, val FVU %.4f, L0 %.2f, mean threshold %.4f%n", frac, res.validation().fvu(),
                    res.validation().l0(), mean);
            assertEquals(SaeConfig.JUMPRELU, sae.config().architecture());
            assertTrue(mean > 0.05, "thresholds moved up from their initial 0.01 (scaled): mean " + mean);
            assertTrue(frac >= 0.8, "recovered only " + frac + " of the planted directions");
            assertTrue(res.validation().fvu() < 0.15, "validation FVU " + res.validation().fvu());
            assertTrue(res.validation().l0() < 12, "JumpReLU SAE should be sparse, L0 " + res.validation().l0());
        }
    }
}
