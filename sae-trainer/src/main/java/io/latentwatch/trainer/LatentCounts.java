package io.latentwatch.trainer;

import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * Latent firing counts over a training set, for the rare-latent detector's frequencies
 * ({@link io.latentwatch.interp.calibrate.ThresholdCalibration} calibrates on them): counted on every training row, not
 * on the few thousand held-out rows, where "rare" would mean "never seen there".
 */
public final class LatentCounts {
    private LatentCounts() {}

    /**
     * Firing counts of every latent over the training rows of {@code source} (prompts not held out: {@code isTrain}),
     * encoded in chunks of 4096 rows; returns the counts with the row count as last element.
     */
    public static long[] training(SparseAutoencoder sae, Supplier<ActivationSource> source, IntPredicate isTrain)
            throws IOException {
        int d = sae.config().dIn(), s = sae.config().dSae();
        long[] counts = new long[s + 1];
        float[] buf = new float[4096 * d];
        int m = 0;
        try (ActivationSource src = source.get()) {
            ActivationRow r;
            while (true) {
                r = src.next();
                if (r != null && !isTrain.test(r.context().prompt())) continue;
                if (r != null) System.arraycopy(r.values(), 0, buf, m++ * d, d);
                if (m == 4096 || (r == null && m > 0)) {
                    float[] zs = sae.encode(new Tensor(Arrays.copyOf(buf, m * d), m, d)).data();
                    for (int i = 0; i < m * s; i++) if (zs[i] > 0) counts[i % s]++;
                    counts[s] += m;
                    m = 0;
                }
                if (r == null) break;
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("counting latent frequencies on the training rows: " + e.getMessage(), e);
        }
        return counts;
    }
}
