package io.latentwatch.interp.sae;

/**
 * The geometric median of points (argmin_y Σ_i ||x_i − y||) by Weiszfeld's algorithm, the b_dec
 * initialisation of Bricken et al. 2023 ("Towards Monosemanticity"): a robust centre that outliers
 * in the activations do not drag away.
 */
public final class GeometricMedian {
    private GeometricMedian() {}

    /** @param rows points stored row-major, {@code n = rows.length / dim} */
    public static float[] of(float[] rows, int dim, int maxIterations, double tolerance) {
        int n = rows.length / dim;
        if (n == 0) throw new IllegalArgumentException("geometric median of no points");
        double[] y = new double[dim];
        for (int i = 0; i < n; i++) for (int j = 0; j < dim; j++) y[j] += rows[i * dim + j];
        for (int j = 0; j < dim; j++) y[j] /= n;                 // start from the mean
        for (int it = 0; it < maxIterations; it++) {
            double[] num = new double[dim];
            double den = 0;
            for (int i = 0; i < n; i++) {
                double d2 = 0;
                for (int j = 0; j < dim; j++) {
                    double diff = rows[i * dim + j] - y[j];
                    d2 += diff * diff;
                }
                double w = 1.0 / Math.max(Math.sqrt(d2), 1e-8);     // guard: a point sitting on y
                den += w;
                for (int j = 0; j < dim; j++) num[j] += w * rows[i * dim + j];
            }
            double shift = 0;
            for (int j = 0; j < dim; j++) {
                double nj = num[j] / den;
                shift += (nj - y[j]) * (nj - y[j]);
                y[j] = nj;
            }
            if (Math.sqrt(shift) < tolerance) break;
        }
        float[] out = new float[dim];
        for (int j = 0; j < dim; j++) out[j] = (float) y[j];
        return out;
    }

    public static float[] mean(float[] rows, int dim) {
        int n = rows.length / dim;
        double[] s = new double[dim];
        for (int i = 0; i < n; i++) for (int j = 0; j < dim; j++) s[j] += rows[i * dim + j];
        float[] out = new float[dim];
        for (int j = 0; j < dim; j++) out[j] = (float) (s[j] / n);
        return out;
    }
}
