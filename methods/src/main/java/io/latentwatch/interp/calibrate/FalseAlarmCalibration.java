package io.latentwatch.interp.calibrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Thresholds at a false-alarm rate per request. A node publishes k sampled positions of a request and a detector
 * alerts on the request when any of them crosses its threshold, so the quantity to calibrate is the request's
 * <em>maximum</em> score over its samples (for "lower is worse" scores such as a latent's baseline frequency, the
 * minimum), not the per-sample score: a per-sample p99 with k = 4 flags about 1 - 0.99^4 = 3.9% of normal requests.
 *
 * <p>The reference requests are simulated from held-out reference texts the way the node samples live traffic
 * (random-k: k distinct positions drawn uniformly), {@link #DRAWS} draws per text to smooth the draw of positions; the
 * threshold is the empirical (1 - rate) quantile of the request scores (type 7, numpy's default), so that on traffic
 * like the reference a share {@code rate} of requests exceeds it (split-conformal calibration, Vovk et al. 2005;
 * the estimate's own error is about sqrt(rate / n) for n reference texts).
 */
public final class FalseAlarmCalibration {
    /** Simulated requests (draws of k positions) per reference text. */
    public static final int DRAWS = 16;

    private FalseAlarmCalibration() {}

    /**
     * The reference rows grouped into requests: {@code request[i]} names the text of row i (rows of one text need not be
     * adjacent). For each text, {@link #DRAWS} draws of min(k, rows) distinct rows; returns the row indices of each draw.
     */
    public static List<int[]> draws(int[] request, int k, long seed) {
        if (k <= 0) throw new IllegalArgumentException("samples per request must be > 0, got " + k);
        Map<Integer, List<Integer>> byText = new LinkedHashMap<>();
        for (int i = 0; i < request.length; i++) byText.computeIfAbsent(request[i], x -> new ArrayList<>()).add(i);
        Random r = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (List<Integer> rows : byText.values()) {
            int[] idx = rows.stream().mapToInt(Integer::intValue).toArray();
            int m = Math.min(k, idx.length);
            for (int d = 0; d < DRAWS; d++) {
                int[] a = idx.clone();
                for (int i = 0; i < m; i++) { // partial Fisher-Yates: the first m are a uniform draw without replacement
                    int j = i + r.nextInt(a.length - i);
                    int t = a[i]; a[i] = a[j]; a[j] = t;
                }
                out.add(Arrays.copyOf(a, m));
            }
        }
        return out;
    }

    /** Each draw's maximum of {@code score} (a request alerts when any sample's score is above the threshold). */
    public static double[] requestMax(double[] score, List<int[]> draws) {
        double[] out = new double[draws.size()];
        for (int d = 0; d < out.length; d++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i : draws.get(d)) m = Math.max(m, score[i]);
            out[d] = m;
        }
        return out;
    }

    /** Each draw's minimum of {@code score} (for scores where lower is more unusual). */
    public static double[] requestMin(double[] score, List<int[]> draws) {
        double[] neg = new double[score.length];
        for (int i = 0; i < score.length; i++) neg[i] = -score[i];
        double[] m = requestMax(neg, draws);
        for (int i = 0; i < m.length; i++) m[i] = -m[i];
        return m;
    }

    /** Threshold t with a share {@code rate} of {@code requestScores} above it: the (1 - rate) quantile. */
    public static double upper(double[] requestScores, double rate) {
        checkRate(rate);
        return quantile(requestScores, 1 - rate);
    }

    /** Threshold t with a share {@code rate} of {@code requestScores} below it: the rate quantile. */
    public static double lower(double[] requestScores, double rate) {
        checkRate(rate);
        return quantile(requestScores, rate);
    }

    /** Share of {@code scores} strictly above {@code threshold}: the false-alarm rate on those requests. */
    public static double shareAbove(double[] scores, double threshold) {
        long n = Arrays.stream(scores).filter(s -> s > threshold).count();
        return scores.length == 0 ? Double.NaN : n / (double) scores.length;
    }

    /** Share of {@code scores} strictly below {@code threshold}. */
    public static double shareBelow(double[] scores, double threshold) {
        long n = Arrays.stream(scores).filter(s -> s < threshold).count();
        return scores.length == 0 ? Double.NaN : n / (double) scores.length;
    }

    /**
     * One-sided 95% upper confidence bound on a rate from {@code k} events in {@code n} trials: exact (Clopper-Pearson)
     * for k = 0, 1 - 0.05^(1/n) (about 3/n, the "rule of three"); otherwise the Wilson score bound (z = 1.645). So that
     * "0 false alarms" reads as "at most this rate", not as "rate 0".
     */
    public static double upperBound95(long k, long n) {
        if (n <= 0) return 1;
        if (k < 0 || k > n) throw new IllegalArgumentException(k + " events in " + n + " trials");
        if (k == 0) return 1 - Math.pow(0.05, 1.0 / n);
        double z = 1.6448536269514722, p = k / (double) n, z2 = z * z;
        double centre = p + z2 / (2 * n), half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return Math.min(1, (centre + half) / (1 + z2 / n));
    }

    /** Empirical quantile, linear between order statistics (type 7). */
    public static double quantile(double[] values, double q) {
        if (values.length == 0) throw new IllegalArgumentException("no reference requests to calibrate on");
        double[] s = values.clone();
        Arrays.sort(s);
        double h = (s.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (h - lo) * (s[hi] - s[lo]);
    }

    static void checkRate(double rate) {
        if (!(rate > 0 && rate < 1)) throw new IllegalArgumentException("false-alarm rate must be in (0, 1), got " + rate);
    }
}
