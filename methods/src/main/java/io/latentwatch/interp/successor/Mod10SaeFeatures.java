package io.latentwatch.interp.successor;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeTraining;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mod-10 features found by a sparse autoencoder on the first MLP's output for number tokens (Gould et al. 2023, §3.1:
 * "an SAE on the first MLP's output" finds latents that fire on numbers sharing a units digit).
 *
 * <p><b>Data.</b> There are at most ~100 single-token numbers, far too few rows to train an SAE. Choice: each training
 * row is the MLP0 output m(t) = MLP0(ln2(e_t)) of a uniformly drawn single-token number plus isotropic Gaussian jitter
 * of standard deviation {@link #JITTER} × the data's per-coordinate RMS spread (around the mean). Jitter adds no
 * structure shared by a units class, so any latent tied to t mod 10 must come from m(t) itself. Latents are scored on
 * the clean m(t) only.
 *
 * <p><b>SAE.</b> TopK (Gao et al. 2024), d_sae = {@link #D_SAE}, k = {@link #K}, fixed seed, {@link #STEPS} Adam steps.
 *
 * <p><b>Mod-10 latent.</b> "Fires" = activation &gt; 0. For each latent and each k in 0..9: precision and recall of
 * "fires" against "t mod 10 == k"; keep the best F1. A latent is a mod-10 feature when that F1 &ge; {@link #MIN_F1}
 * and its true positives span &ge; {@link #MIN_DECADES} decades (a decade-specific latent is not a units feature).
 *
 * <p><b>Behaviour carried.</b> For a head reading r(t) = e_t + m(t) (block &ge; 1), units-digit accuracy of its OV
 * circuit (top number has units digit (t+1) mod 10) on: e + m (model); e + SAE(m) (all latents); e + b_dec + Σ over
 * mod-10 latents z_i W_dec,i (mod-10 latents only); e + m − Σ over mod-10 latents z_i W_dec,i (mod-10 latents removed,
 * SAE error kept).
 */
public final class Mod10SaeFeatures {
    public static final int D_SAE = 32, K = 3, STEPS = 250, BATCH = 128;
    public static final float LR = 5e-3f;
    public static final double JITTER = 0.05, MIN_F1 = 0.8;
    public static final int MIN_DECADES = 3;

    private Mod10SaeFeatures() {}

    /** One latent's best match to a units class. */
    public record Latent(int index, int unitsClass, double f1, double precision, double recall, int decades, int fires, boolean mod10) {}

    /** The SAE fit on rows x (one per number) and the per-latent scores. */
    public record Fit(List<Latent> latents, double fvu, double l0, int deadLatents, float[][] z, float[][] wDec, float[] bDec) {
        public List<Latent> mod10() { return latents.stream().filter(Latent::mod10).toList(); }

        /** Distinct units classes covered by the mod-10 latents. */
        public int classesFound() { return (int) mod10().stream().mapToInt(Latent::unitsClass).distinct().count(); }
    }

    public record Result(int numbers, Fit fit, double unitsAccuracyModel, double unitsAccuracyAllLatents, double unitsAccuracyMod10Only,
                         double unitsAccuracyMod10Removed) {}

    /** Trains the SAE on MLP0's output for the given number tokens and measures what the mod-10 latents carry for head (layer, head). */
    public static Result analyse(OvCircuit ov, int layer, int head, int[] ids, int[] values, long seed) {
        if (ids.length != values.length) throw new IllegalArgumentException("ids (" + ids.length + ") and values (" + values.length + ") differ in length");
        float[][] e = ov.embeddings(ids);
        float[][] m = ov.mlp0(e);
        Fit fit = fit(m, values, seed);
        int n = ids.length, d = m[0].length;
        if (layer == 0) // block-0 heads read the raw embedding, never MLP0's output: nothing to measure
            return new Result(n, fit, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        List<Latent> mod = fit.mod10();
        float[][] model = new float[n][d], all = new float[n][d], only = new float[n][d], removed = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                model[i][j] = e[i][j] + m[i][j];
                all[i][j] = e[i][j] + fit.bDec()[j];
                only[i][j] = e[i][j] + fit.bDec()[j];
                removed[i][j] = e[i][j] + m[i][j];
            }
            for (int l = 0; l < fit.z()[i].length; l++) {
                float zl = fit.z()[i][l];
                if (zl == 0) continue;
                for (int j = 0; j < d; j++) all[i][j] += zl * fit.wDec()[l][j];
            }
            for (Latent lt : mod) {
                float zl = fit.z()[i][lt.index()];
                if (zl == 0) continue;
                for (int j = 0; j < d; j++) {
                    only[i][j] += zl * fit.wDec()[lt.index()][j];
                    removed[i][j] -= zl * fit.wDec()[lt.index()][j];
                }
            }
        }
        return new Result(n, fit, Mod10Features.unitsAccuracy(ov, layer, head, model, ids, values),
                Mod10Features.unitsAccuracy(ov, layer, head, all, ids, values),
                Mod10Features.unitsAccuracy(ov, layer, head, only, ids, values),
                Mod10Features.unitsAccuracy(ov, layer, head, removed, ids, values));
    }

    /** Trains the TopK SAE on jittered copies of the rows x (values[i] = the number of row i, 0..99) and scores its latents. */
    public static Fit fit(float[][] x, int[] values, long seed) {
        return fit(x, values, seed, D_SAE, K, STEPS, BATCH, LR);
    }

    static Fit fit(float[][] x, int[] values, long seed, int dSae, int k, int steps, int batch, float lr) {
        int n = x.length;
        if (n < 20) throw new IllegalArgumentException("mod-10 SAE needs at least 20 number tokens, found " + n);
        int d = x[0].length;
        double[] mean = new double[d];
        for (float[] r : x) for (int j = 0; j < d; j++) mean[j] += r[j] / n;
        double var = 0;
        for (float[] r : x) for (int j = 0; j < d; j++) var += (r[j] - mean[j]) * (r[j] - mean[j]) / ((double) n * d);
        double sigma = JITTER * Math.sqrt(var);
        float[] clean = new float[n * d];
        for (int i = 0; i < n; i++) System.arraycopy(x[i], 0, clean, i * d, d);
        SplittableRandom rnd = new SplittableRandom(seed);
        SaeTraining.Batches batches = rows -> {
            float[] b = new float[rows * d];
            for (int r = 0; r < rows; r++) {
                int i = rnd.nextInt(n);
                for (int j = 0; j < d; j++) b[r * d + j] = (float) (x[i][j] + sigma * gaussian(rnd));
            }
            return b;
        };
        SaeConfig cfg = SaeConfig.topk(d, dSae, k, "blocks.0.hook_mlp_out", "mod10");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(steps).withBatchSize(batch).withLr(lr)
                .withEvalEvery(steps).withDeadTokens(50L * batch).withBDecInit("mean").withSeed(seed);
        SaeTraining.Result res = SaeTraining.train(cfg, opt, clean, batches, clean);
        try (SparseAutoencoder sae = res.sae()) {
            Tensor zt = sae.encode(new Tensor(clean, n, d));
            float[][] z = new float[n][dSae];
            for (int i = 0; i < n; i++) System.arraycopy(zt.data(), i * dSae, z[i], 0, dSae);
            float[][] wDec = new float[dSae][];
            for (int l = 0; l < dSae; l++) wDec[l] = sae.decoderRow(l);
            float[] bDec = sae.decoderBias();
            List<Latent> latents = score(z, values);
            int dead = (int) latents.stream().filter(l -> l.fires() == 0).count();
            return new Fit(latents, res.validation().fvu(), res.validation().l0(), dead, z, wDec, bDec);
        }
    }

    /** Best-F1 units class of each latent (fires = activation > 0) and the decades its true positives span. */
    static List<Latent> score(float[][] z, int[] values) {
        int n = z.length, s = z[0].length;
        int[] classSize = new int[10];
        for (int v : values) classSize[v % 10]++;
        List<Latent> out = new ArrayList<>();
        for (int l = 0; l < s; l++) {
            int fires = 0;
            int[] tp = new int[10];
            boolean[][] decades = new boolean[10][10];
            for (int i = 0; i < n; i++) {
                if (z[i][l] > 0) {
                    fires++;
                    tp[values[i] % 10]++;
                    decades[values[i] % 10][values[i] / 10 % 10] = true;
                }
            }
            int bestK = -1;
            double bestF1 = 0, bestP = 0, bestR = 0;
            for (int k = 0; k < 10; k++) {
                if (tp[k] == 0) continue;
                double p = (double) tp[k] / fires, r = (double) tp[k] / classSize[k], f1 = 2 * p * r / (p + r);
                if (f1 > bestF1) { bestF1 = f1; bestK = k; bestP = p; bestR = r; }
            }
            int dec = 0;
            if (bestK >= 0) for (boolean b : decades[bestK]) if (b) dec++;
            out.add(new Latent(l, bestK, bestF1, bestP, bestR, dec, fires, bestF1 >= MIN_F1 && dec >= MIN_DECADES));
        }
        return out;
    }

    private static double gaussian(SplittableRandom r) { // Box-Muller
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
