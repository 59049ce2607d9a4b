package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An SAE's quality on a set of activation rows, computed in batches:
 * <ul>
 *   <li>MSE: mean over rows of ||x − x̂||² (summed over d_in, as SAELens reports it);</li>
 *   <li>FVU: Σ||x − x̂||² / Σ||x − x̄||², x̄ the mean row of this set (1 − explained variance);</li>
 *   <li>L0: mean number of active latents per row;</li>
 *   <li>firing frequency per latent (share of rows where it is active); dead = never active here,
 *       dense = active on more than {@code denseThreshold} of the rows;</li>
 *   <li>per-row relative reconstruction error ||x − x̂||² / ||x||², the baseline distribution the
 *       monitor's out-of-distribution detector compares against.</li>
 * </ul>
 */
public record SaeEvaluation(int rows, double mse, double fvu, double l0, double deadFraction, double denseFraction,
                            float[] firingFrequency, float[] relativeError) {

    /**
     * The scalar figures under the names of an SAE's {@code latentwatch_metrics.json} (read by the trainer's
     * quality gates): fvu, mse, l0, dead_fraction, dense_fraction. A new mutable map, so a caller adds its own.
     */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("fvu", fvu);
        m.put("mse", mse);
        m.put("l0", l0);
        m.put("dead_fraction", deadFraction);
        m.put("dense_fraction", denseFraction);
        return m;
    }

    public static SaeEvaluation of(SparseAutoencoder sae, float[] data, int batchSize, float denseThreshold) {
        int d = sae.config().dIn();
        int s = sae.config().dSae();
        if (data.length % d != 0) throw new IllegalArgumentException("data length " + data.length + " is not a multiple of d_in " + d);
        int n = data.length / d;
        if (n == 0) throw new IllegalArgumentException("no rows to evaluate on");
        float[] mean = GeometricMedian.mean(data, d);
        double sse = 0, sst = 0, active = 0;
        double[] fires = new double[s];
        float[] rel = new float[n];
        try (NDManager scope = sae.manager().newSubManager()) {
            for (int start = 0; start < n; start += batchSize) {
                int rowsHere = Math.min(batchSize, n - start);
                try (NDManager batch = scope.newSubManager()) {
                    float[] chunk = Arrays.copyOfRange(data, start * d, (start + rowsHere) * d);
                    NDArray x = batch.create(chunk, new Shape(rowsHere, d));
                    NDArray z = sae.encode(x);
                    NDArray xhat = sae.decode(z, x);
                    float[] rowErr = xhat.sub(x).square().sum(new int[] {1}).toFloatArray();
                    float[] rowNorm = x.square().sum(new int[] {1}).toFloatArray();
                    float[] f = z.gt(0f).sum(new int[] {0}).toType(DataType.FLOAT32, false).toFloatArray();
                    for (int i = 0; i < rowsHere; i++) {
                        sse += rowErr[i];
                        rel[start + i] = rowNorm[i] > 0 ? rowErr[i] / rowNorm[i] : rowErr[i];
                        double t = 0;
                        for (int j = 0; j < d; j++) {
                            double diff = chunk[i * d + j] - mean[j];
                            t += diff * diff;
                        }
                        sst += t;
                    }
                    for (int j = 0; j < s; j++) {
                        fires[j] += f[j];
                        active += f[j];
                    }
                }
            }
        }
        float[] freq = new float[s];
        int dead = 0, dense = 0;
        for (int j = 0; j < s; j++) {
            freq[j] = (float) (fires[j] / n);
            if (fires[j] == 0) dead++;
            if (freq[j] > denseThreshold) dense++;
        }
        return new SaeEvaluation(n, sse / n, sst > 0 ? sse / sst : Double.NaN, active / n, (double) dead / s, (double) dense / s, freq, rel);
    }
}
