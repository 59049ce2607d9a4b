package io.latentwatch.monitor.detect;

/**
 * Exact binomial tail probabilities, summed in log space so that large windows (n in the
 * thousands, where (1-p)^n underflows a double) stay exact to rounding.
 *
 * <p>log pmf(0) = n·log1p(-p); log pmf(k+1) = log pmf(k) + log((n-k)/(k+1)) + log(p/(1-p)).
 * The tail is the log-sum-exp of its terms. O(n) per call: a window of a few thousand samples
 * over every latent of a 24k-latent SAE is tens of millions of additions once per window.
 */
public final class BinomialTail {
    private BinomialTail() {}

    /** P(X >= c) for X ~ Binomial(n, p). */
    public static double upper(int c, int n, double p) {
        check(c, n, p);
        if (c <= 0) return 1.0;
        if (p == 0) return 0.0;
        if (p == 1) return 1.0;
        return Math.min(1.0, Math.exp(logSum(logPmfs(n, p), c, n)));
    }

    /** P(X <= c) for X ~ Binomial(n, p). */
    public static double lower(int c, int n, double p) {
        check(c, n, p);
        if (c >= n) return 1.0;
        if (p == 0) return 1.0;
        if (p == 1) return 0.0;
        return Math.min(1.0, Math.exp(logSum(logPmfs(n, p), 0, c)));
    }

    /** Two-sided p-value: twice the smaller tail, capped at 1 (the "doubling" convention). */
    public static double twoSided(int c, int n, double p) {
        return Math.min(1.0, 2 * Math.min(upper(c, n, p), lower(c, n, p)));
    }

    static double[] logPmfs(int n, double p) {
        double[] l = new double[n + 1];
        double logOdds = Math.log(p) - Math.log1p(-p);
        l[0] = n * Math.log1p(-p);
        for (int k = 0; k < n; k++) l[k + 1] = l[k] + Math.log((double) (n - k) / (k + 1)) + logOdds;
        return l;
    }

    private static double logSum(double[] l, int from, int to) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = from; k <= to; k++) max = Math.max(max, l[k]);
        if (max == Double.NEGATIVE_INFINITY) return max;
        double s = 0;
        for (int k = from; k <= to; k++) s += Math.exp(l[k] - max);
        return max + Math.log(s);
    }

    private static void check(int c, int n, double p) {
        if (n < 0) throw new IllegalArgumentException("binomial n must be >= 0, got " + n);
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("binomial p must be in [0, 1], got " + p);
        if (c < 0 || c > n) {
            if (c < 0) throw new IllegalArgumentException("count must be >= 0, got " + c);
        }
    }
}
