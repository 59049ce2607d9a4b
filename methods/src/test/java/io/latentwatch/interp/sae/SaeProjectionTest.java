package io.latentwatch.interp.sae;

import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link SaeProjection} (sparse decode for TopK, dense for ReLU) against {@link ScalarSae}: the
 * same active latents in the same order, the same values, L0 and relative reconstruction error.
 */
class SaeProjectionTest {

    @Test
    void topLatentsL0AndReconErrorMatchScalarReferenceForBothArchitectures() {
        for (boolean topk : new boolean[] {false, true}) {
            for (long seed = 1; seed <= 4; seed++) {
                SaeMathTest.Fixture f = SaeMathTest.fixture(topk, seed);
                int d = SaeMathTest.D, b = SaeMathTest.B;
                for (int maxLatents : new int[] {1, 2, 3, 10}) {
                    try (SparseAutoencoder sae = f.sae()) {
                        SaeProjection p = SaeProjection.of(sae, f.x(), b, maxLatents);
                        assertEquals(b, p.rows());
                        double[][] rows = f.rows();
                        for (int r = 0; r < b; r++) {
                            double[] z = f.ref().encode(rows[r]);
                            double[] xh = f.ref().decode(z);
                            double num = 0, den = 0;
                            for (int j = 0; j < d; j++) {
                                num += (xh[j] - rows[r][j]) * (xh[j] - rows[r][j]);
                                den += rows[r][j] * rows[r][j];
                            }
                            String where = (topk ? "topk" : "relu") + " seed " + seed + " row " + r + " max " + maxLatents;
                            assertEquals(num / den, p.reconError(r), 1e-4 * Math.max(1, num / den), where);
                            List<Integer> active = new ArrayList<>();
                            for (int i = 0; i < z.length; i++) if (z[i] > 0) active.add(i);
                            assertEquals(active.size(), p.l0(r), where);
                            active.sort(Comparator.comparingDouble(i -> -z[i]));
                            for (int j = 0; j < p.width(); j++) {
                                if (j < active.size()) {
                                    assertEquals(active.get(j), p.id(r, j), where + " slot " + j);
                                    assertEquals(z[active.get(j)], p.value(r, j), 1e-4, where + " slot " + j);
                                } else {
                                    assertFalse(p.value(r, j) > 0, where + ": slot " + j + " beyond L0 must be inactive");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sparseDecodeEqualsDenseDecodeOnALargerTopKDictionary() {
        Random rnd = new Random(5);
        int dIn = 32, dSae = 512, k = 16, rows = 40;
        SaeConfig cfg = SaeConfig.topk(dIn, dSae, k, "blocks.0.hook_resid_post", "test");
        float[] x = SaeMathTest.randn(rnd, rows * dIn, 1);
        try (SparseAutoencoder sae = SparseAutoencoder.of(cfg, new Tensor(SaeMathTest.randn(rnd, dIn * dSae, 0.2), dIn, dSae),
                new Tensor(SaeMathTest.randn(rnd, dSae, 0.1), dSae), new Tensor(SaeMathTest.randn(rnd, dSae * dIn, 0.2), dSae, dIn),
                new Tensor(SaeMathTest.randn(rnd, dIn, 0.1), dIn))) {
            SaeProjection p = SaeProjection.of(sae, x, rows, 64);
            Tensor xh = sae.reconstruct(new Tensor(x, rows, dIn));
            assertEquals(k, p.width(), "a TopK SAE has at most k active latents");
            for (int r = 0; r < rows; r++) {
                double num = 0, den = 0;
                for (int j = 0; j < dIn; j++) {
                    double e = xh.data()[r * dIn + j] - x[r * dIn + j];
                    num += e * e;
                    den += (double) x[r * dIn + j] * x[r * dIn + j];
                }
                assertEquals(num / den, p.reconError(r), 1e-4, "row " + r);
                for (int j = 1; j < p.width(); j++) assertTrue(p.value(r, j - 1) >= p.value(r, j), "strongest first");
            }
        }
    }

    @Test
    void rejectsRowsOfTheWrongWidth() {
        SaeMathTest.Fixture f = SaeMathTest.fixture(true, 1);
        try (SparseAutoencoder sae = f.sae()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SaeProjection.of(sae, new float[7], 1, 4));
            assertTrue(e.getMessage().contains("d_in"), e.getMessage());
        }
    }
}
