package io.latentwatch.monitor.detect;

/**
 * Exact binomial tail probabilities, summed in log space so that large windows (n in the
 * thousands, where (1-p)^n underflows a double) stay exact to rounding.
 *
 * <p>log pmf(k) = log C(n,k) + k·log p + (n-k)·log(1-p). For a fixed n the log binomial
 * coefficients are tabulated once ({@link #forN}); the drift detector tests every latent of a
 * 24k-latent SAE against the same window size, so a test is then only additions and exps.
 *
 * <p>The pmf is unimodal with mode m = floor((n+1)p): a tail that does not contain the mode is
 * summed directly, starting at its largest term (the one next to the mode) and stopping once the
 * terms fall below 1e-17 of it — they shrink at least geometrically from there, so the sum is exact
 * to rounding after a few dozen terms instead of n. A tail that contains the mode is at least
 * pmf(m) ≥ 1/(n+1) and is computed as one minus the other tail.
 */
public final class BinomialTail {
    private static final double NEGLIGIBLE = Math.log(1e-17);

    private final int n;
    private final double[] logChoose; // log C(n, k), k = 0..n

    private BinomialTail(int n) {
        if (n < 0) throw new IllegalArgumentException("binomial n must be >= 0, got " + n);
        this.n = n;
        this.logChoose = new double[n + 1];
        for (int k = 0; k < n; k++) logChoose[k + 1] = logChoose[k] + Math.log((double) (n - k) / (k + 1));
    }

    /** Tails of Binomial(n, ·) for any p, sharing one table of log binomial coefficients. */
    public static BinomialTail forN(int n) { return new BinomialTail(n); }

    /** P(X >= c) for X ~ Binomial(n, p). */
    public static double upper(int c, int n, double p) { return forN(n).upper(c, p); }

    /** P(X <= c) for X ~ Binomial(n, p). */
    public static double lower(int c, int n, double p) { return forN(n).lower(c, p); }

    /** Two-sided p-value: twice the smaller tail, capped at 1 (the "doubling" convention). */
    public static double twoSided(int c, int n, double p) { return forN(n).twoSided(c, p); }

    public int n() { return n; }

    /** P(X >= c). */
    public double upper(int c, double p) {
        check(c, p);
        if (c <= 0) return 1.0;
        if (c > n || p == 0) return 0.0;
        if (p == 1) return 1.0;
        if (c > mode(p)) return Math.min(1.0, sumAwayFromMode(c, +1, p));
        return Math.max(0.0, 1.0 - sumAwayFromMode(c - 1, -1, p));
    }

    /** P(X <= c). */
    public double lower(int c, double p) {
        check(c, p);
        if (c >= n || p == 0) return 1.0;
        if (p == 1) return 0.0;
        if (c < mode(p)) return Math.min(1.0, sumAwayFromMode(c, -1, p));
        return Math.max(0.0, 1.0 - sumAwayFromMode(c + 1, +1, p));
    }

    /** Two-sided p-value: twice the smaller tail, capped at 1. */
    public double twoSided(int c, double p) {
        return Math.min(1.0, 2 * Math.min(upper(c, p), lower(c, p)));
    }

    private int mode(double p) {
        return (int) Math.min(n, Math.floor((n + 1) * p));
    }

    /** Σ pmf(k) for k = from, from+step, ... to the end of the support; terms decrease along the way. */
    private double sumAwayFromMode(int from, int step, double p) {
        double lp = Math.log(p), lq = Math.log1p(-p);
        double first = logChoose[from] + from * lp + (n - from) * lq;
        double s = 0;
        for (int k = from; k >= 0 && k <= n; k += step) {
            double rel = logChoose[k] + k * lp + (n - k) * lq - first;
            if (rel < NEGLIGIBLE) break;
            s += Math.exp(rel);
        }
        return Math.exp(first + Math.log(s));
    }

    private void check(int c, double p) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("binomial p must be in [0, 1], got " + p);
        if (c < 0) throw new IllegalArgumentException("count must be >= 0, got " + c);
    }
}
