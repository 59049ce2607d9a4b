package io.latentwatch.interp.tensor;

/** Plain-Java operations on one row of logits, accumulated in double (log-sum-exp shifted by the max). */
public final class Logits {
    private Logits() {}

    /** log softmax of {@code logits[off, off+n)}: x_i - (max + log sum_j exp(x_j - max)). */
    public static double[] logSoftmax(float[] logits, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(logits[off + i] - max);
        double lse = max + Math.log(s);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = logits[off + i] - lse;
        return out;
    }

    public static double[] logSoftmax(float[] logits) { return logSoftmax(logits, 0, logits.length); }

    /** Index (relative to {@code off}) of the largest of {@code a[off, off+n)}; the first on ties. */
    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }

    public static int argmax(float[] a) { return argmax(a, 0, a.length); }
}
