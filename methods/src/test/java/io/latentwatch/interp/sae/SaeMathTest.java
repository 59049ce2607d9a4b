package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.*;

/** The NDArray SAE math against {@link ScalarSae}, a plain double-precision implementation. */
class SaeMathTest {
    static final int D = 6, S = 10, B = 5;

    static float[] randn(Random r, int n, double sd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * sd);
        return a;
    }

    static double[] dbl(float[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) o[i] = a[i];
        return o;
    }

    record Fixture(SaeConfig cfg, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, float[] x, ScalarSae ref) {
        SparseAutoencoder sae() {
            return SparseAutoencoder.of(cfg, new Tensor(wEnc, D, S), new Tensor(bEnc, S), new Tensor(wDec, S, D), new Tensor(bDec, D));
        }
        double[][] rows() {
            double[][] r = new double[B][D];
            for (int b = 0; b < B; b++) for (int j = 0; j < D; j++) r[b][j] = x[b * D + j];
            return r;
        }
    }

    static Fixture fixture(boolean topk, long seed) {
        Random r = new Random(seed);
        SaeConfig cfg = topk ? SaeConfig.topk(D, S, 3, "blocks.0.hook_resid_post", "test")
                : SaeConfig.relu(D, S, "blocks.0.hook_resid_post", "test");
        float[] wEnc = randn(r, D * S, 0.7), bEnc = randn(r, S, 0.3), wDec = randn(r, S * D, 0.7), bDec = randn(r, D, 0.3);
        float[] x = randn(r, B * D, 1.0);
        ScalarSae ref = new ScalarSae(D, S, topk, 3, true);
        ref.wEnc = dbl(wEnc); ref.bEnc = dbl(bEnc); ref.wDec = dbl(wDec); ref.bDec = dbl(bDec);
        return new Fixture(cfg, wEnc, bEnc, wDec, bDec, x, ref);
    }

    @Test
    void encodeAndDecodeMatchScalarReferenceForReluAndTopK() {
        for (boolean topk : new boolean[] {false, true}) {
            Fixture f = fixture(topk, 1);
            try (SparseAutoencoder sae = f.sae()) {
                Tensor z = sae.encode(new Tensor(f.x, B, D));
                Tensor xh = sae.decode(z);
                double[][] rows = f.rows();
                int active = 0;
                for (int b = 0; b < B; b++) {
                    double[] zr = f.ref.encode(rows[b]);
                    double[] xr = f.ref.decode(zr);
                    for (int i = 0; i < S; i++) {
                        assertEquals(zr[i], z.data()[b * S + i], 1e-4, "z[" + b + "," + i + "] topk=" + topk);
                        if (zr[i] > 0) active++;
                    }
                    for (int j = 0; j < D; j++) assertEquals(xr[j], xh.data()[b * D + j], 1e-4);
                }
                if (topk) assertTrue(active <= 3 * B, "TopK keeps at most k latents per row");
                assertTrue(active > 0, "fixture must activate something");
            }
        }
    }

    @Test
    void reluLossAndGradientsMatchFiniteDifferences() {
        checkGradients(false, 0.4f, 0f, null);
    }

    @Test
    void topkLossWithAuxKAndGradientsMatchFiniteDifferences() {
        boolean[] dead = new boolean[S];
        for (int i = 0; i < S; i += 2) dead[i] = true;   // half the latents dead -> AuxK active
        checkGradients(true, 0f, 0.5f, dead);
    }

    private void checkGradients(boolean topk, float l1, float aux, boolean[] dead) {
        Fixture f = fixture(topk, 7);
        int kAux = 2;
        int nDead = 0;
        float[] deadF = new float[S];
        if (dead != null) for (int i = 0; i < S; i++) if (dead[i]) { deadF[i] = 1f; nDead++; }
        try (SparseAutoencoder sae = f.sae(); NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(f.x, new Shape(B, D));
            SaeLoss.Result r = new SaeLoss(l1, aux, kAux).compute(f.cfg, sae.wEnc(), sae.bEnc(), sae.wDec(), sae.bDec(), x,
                    dead == null ? null : m.create(deadF));
            double[][] rows = f.rows();
            ScalarSae.Frozen fr = f.ref.freeze(rows, dead, kAux);
            final int nd = nDead;
            DoubleSupplier lossFn = () -> f.ref.loss(rows, fr, l1, aux, nd, kAux);
            assertEquals(lossFn.getAsDouble(), r.total(), 1e-3 * Math.max(1, Math.abs(r.total())), "loss value");
            if (aux > 0) assertTrue(r.aux() > 0, "AuxK term must be exercised");
            if (l1 > 0) assertTrue(r.sparsity() > 0, "L1 term must be exercised");
            compare("W_enc", r.gWEnc().toFloatArray(), f.ref.wEnc, f.ref, lossFn);
            compare("b_enc", r.gBEnc().toFloatArray(), f.ref.bEnc, f.ref, lossFn);
            compare("W_dec", r.gWDec().toFloatArray(), f.ref.wDec, f.ref, lossFn);
            compare("b_dec", r.gBDec().toFloatArray(), f.ref.bDec, f.ref, lossFn);
        }
    }

    private static void compare(String name, float[] analytic, double[] param, ScalarSae ref, DoubleSupplier lossFn) {
        double maxErr = 0, maxAbs = 0;
        for (int i = 0; i < param.length; i++) {
            double num = ref.fd(param, i, lossFn, 1e-5);
            maxErr = Math.max(maxErr, Math.abs(num - analytic[i]));
            maxAbs = Math.max(maxAbs, Math.abs(num));
        }
        assertTrue(maxAbs > 1e-3, name + ": gradient should not vanish in this fixture");
        assertTrue(maxErr < 2e-3 * Math.max(1, maxAbs), name + ": analytic vs finite-difference gradient differ by " + maxErr + " (scale " + maxAbs + ")");
    }

    @Test
    void adamStepMatchesScalarFormula() {
        Random r = new Random(3);
        float[] p = randn(r, 8, 1), g1 = randn(r, 8, 1), g2 = randn(r, 8, 1);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray param = m.create(p);
            Adam adam = new Adam(m, param);
            NDArray p1 = adam.step(param, m.create(g1), 0.01f, 1);
            NDArray p2 = adam.step(p1, m.create(g2), 0.01f, 2);
            float[] out = p2.toFloatArray();
            for (int i = 0; i < 8; i++) {
                double mm = 0, vv = 0, w = p[i];
                double[] gs = {g1[i], g2[i]};
                for (int t = 1; t <= 2; t++) {
                    mm = 0.9 * mm + 0.1 * gs[t - 1];
                    vv = 0.999 * vv + 0.001 * gs[t - 1] * gs[t - 1];
                    double mh = mm / (1 - Math.pow(0.9, t)), vh = vv / (1 - Math.pow(0.999, t));
                    w -= 0.01 * mh / (Math.sqrt(vh) + 1e-8);
                }
                assertEquals(w, out[i], 1e-5);
            }
        }
    }

    @Test
    void foldingScaleAndDecoderNormsPreservesTheFunction() {
        for (boolean topk : new boolean[] {false, true}) {
            Fixture f = fixture(topk, 11);
            float scale = 2.5f;
            if (topk) { // TopK folding needs equal decoder norms (training keeps them at 1)
                for (int i = 0; i < S; i++) {
                    double n = 0;
                    for (int j = 0; j < D; j++) n += f.wDec[i * D + j] * f.wDec[i * D + j];
                    for (int j = 0; j < D; j++) f.wDec[i * D + j] /= (float) Math.sqrt(n);
                }
            }
            try (SparseAutoencoder trained = f.sae(); SparseAutoencoder folded = SaeTraining.fold(trained, f.cfg, scale, null)) {
                float[] x = f.x;
                float[] xs = SaeTraining.scaled(x, scale);
                float[] expect = trained.reconstruct(new Tensor(xs, B, D)).data();
                float[] got = folded.reconstruct(new Tensor(x, B, D)).data();
                for (int i = 0; i < got.length; i++) assertEquals(expect[i] / scale, got[i], 1e-4);
                for (int i = 0; i < S; i++) {
                    double n = 0;
                    for (float v : folded.decoderRow(i)) n += v * v;
                    assertEquals(1.0, Math.sqrt(n), 1e-5, "unit-norm decoder row " + i);
                }
            }
        }
    }

    @Test
    void geometricMedianMinimisesSumOfDistancesAndResistsOutliers() {
        Random r = new Random(5);
        int n = 200, d = 3;
        float[] pts = new float[n * d];
        for (int i = 0; i < n * d; i++) pts[i] = (float) r.nextGaussian();
        for (int i = 0; i < 10; i++) pts[i * d] = 1000f;   // 5% far outliers along axis 0
        float[] gm = GeometricMedian.of(pts, d, 500, 1e-9);
        float[] mean = GeometricMedian.mean(pts, d);
        double base = sumDist(pts, d, gm);
        for (int trial = 0; trial < 50; trial++) {
            float[] q = gm.clone();
            for (int j = 0; j < d; j++) q[j] += (float) (r.nextGaussian() * 0.05);
            assertTrue(sumDist(pts, d, q) >= base - 1e-3, "a perturbation must not lower the objective");
        }
        assertTrue(mean[0] > 40, "the mean is dragged by outliers");
        assertTrue(Math.abs(gm[0]) < 1, "the geometric median is not: " + gm[0]);
    }

    static double sumDist(float[] pts, int d, float[] y) {
        double s = 0;
        for (int i = 0; i < pts.length / d; i++) {
            double q = 0;
            for (int j = 0; j < d; j++) q += (pts[i * d + j] - y[j]) * (pts[i * d + j] - y[j]);
            s += Math.sqrt(q);
        }
        return s;
    }

    @Test
    void evaluationComputesFvuL0AndFrequenciesLikeTheScalarReference() {
        Fixture f = fixture(true, 13);
        try (SparseAutoencoder sae = f.sae()) {
            SaeEvaluation ev = SaeEvaluation.of(sae, f.x, 2, 0.5f);   // batch 2 exercises the batching
            double[][] rows = f.rows();
            double sse = 0, sst = 0, l0 = 0;
            double[] mean = new double[D];
            for (double[] row : rows) for (int j = 0; j < D; j++) mean[j] += row[j] / B;
            int[] fires = new int[S];
            for (double[] row : rows) {
                double[] z = f.ref.encode(row);
                double[] xh = f.ref.decode(z);
                for (int j = 0; j < D; j++) {
                    sse += (row[j] - xh[j]) * (row[j] - xh[j]);
                    sst += (row[j] - mean[j]) * (row[j] - mean[j]);
                }
                for (int i = 0; i < S; i++) if (z[i] > 0) { l0++; fires[i]++; }
            }
            assertEquals(sse / B, ev.mse(), 1e-3);
            assertEquals(sse / sst, ev.fvu(), 1e-4);
            assertEquals(l0 / B, ev.l0(), 1e-6);
            for (int i = 0; i < S; i++) assertEquals(fires[i] / (double) B, ev.firingFrequency()[i], 1e-6);
        }
    }
}
