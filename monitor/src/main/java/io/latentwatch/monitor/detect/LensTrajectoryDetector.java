package io.latentwatch.monitor.detect;

import io.latentwatch.schema.Severity;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lens-trajectory detector: how far an early layer's tuned-lens prediction is from the model's final
 * prediction at the same position (Belrose et al. 2023, arXiv 2303.08112, §4 "prediction trajectories";
 * §5 uses the same trajectory statistic to flag anomalous/adversarial inputs).
 *
 * <p>The score is KL(p_final || q_early) in nats, with p_final = softmax(logit lens of the last
 * {@code hook_resid_post}) — the model's own output — and q_early = softmax(tuned lens of the early
 * residual layer). KL in this direction is what the tuned lens is trained to minimise, so on normal traffic it
 * is small and its distribution is learned per (model, early layer): the first {@code warmup} scores of a key
 * are the baseline (kept in a bounded array), and afterwards a score alerts when it exceeds
 * {@code quantile(baseline, q) × margin}. With margin 1 the false-alarm rate on traffic like the warm-up is
 * about 1 − q; a margin above 1 lowers it further.
 *
 * <p>Pure math, no Kafka: the baseline lives in this object (per monitor instance, rebuilt after a restart by
 * a new warm-up; its state is small and only the threshold depends on it).
 */
public final class LensTrajectoryDetector {
    public static final String NAME = "lens-trajectory";

    private final int warmup;
    private final double quantile;
    private final double margin;
    private final Map<String, Baseline> baselines = new ConcurrentHashMap<>();

    public LensTrajectoryDetector(int warmup, double quantile, double margin) {
        if (warmup < 2) throw new IllegalArgumentException("lens-trajectory warm-up must be >= 2 samples, got " + warmup);
        if (!(quantile > 0 && quantile < 1)) throw new IllegalArgumentException("lens-trajectory quantile must be in (0, 1), got " + quantile);
        if (!(margin > 0)) throw new IllegalArgumentException("lens-trajectory margin must be > 0, got " + margin);
        this.warmup = warmup;
        this.quantile = quantile;
        this.margin = margin;
    }

    /** The verdict for one score: during warm-up {@code threshold} is NaN and nothing alerts. */
    public record Verdict(double score, double threshold, boolean alert, boolean warmingUp, int baselineCount, Severity severity) {}

    /** KL(softmax(finalLogits) || softmax(earlyLogits)) in nats, accumulated in double. */
    public static double divergence(float[] finalLogits, float[] earlyLogits) {
        if (finalLogits.length != earlyLogits.length) {
            throw new IllegalArgumentException("lens-trajectory: final logits have " + finalLogits.length + " entries, early ones " + earlyLogits.length);
        }
        double[] lp = logSoftmax(finalLogits), lq = logSoftmax(earlyLogits);
        double s = 0;
        for (int i = 0; i < lp.length; i++) {
            double p = Math.exp(lp[i]);
            if (p > 0) s += p * (lp[i] - lq[i]);
        }
        return Math.max(0, s); // rounding can give -1e-9 for identical rows
    }

    static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double z = 0;
        for (float v : x) z += Math.exp(v - max);
        double lse = max + Math.log(z);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - lse;
        return out;
    }

    /** Scores {@code score} for key (typically {@code modelId|layer}) against its baseline, learning it during warm-up. */
    public Verdict evaluate(String key, double score) {
        if (!Double.isFinite(score)) throw new IllegalArgumentException("lens-trajectory score for " + key + " is " + score);
        Baseline b = baselines.computeIfAbsent(key, k -> new Baseline(warmup));
        synchronized (b) {
            if (b.n < warmup) {
                b.values[b.n++] = score;
                if (b.n == warmup) b.threshold = quantileOf(b.values, quantile) * margin;
                return new Verdict(score, Double.NaN, false, true, b.n, Severity.INFO);
            }
            boolean alert = score > b.threshold;
            Severity sev = score > 4 * b.threshold ? Severity.CRITICAL : Severity.WARNING;
            return new Verdict(score, b.threshold, alert, false, b.n, alert ? sev : Severity.INFO);
        }
    }

    /** Threshold in force for {@code key}; NaN while it warms up. */
    public double threshold(String key) {
        Baseline b = baselines.get(key);
        if (b == null) return Double.NaN;
        synchronized (b) { return b.n < warmup ? Double.NaN : b.threshold; }
    }

    /** Empirical quantile with linear interpolation between order statistics (type 7, as numpy's default). */
    static double quantileOf(double[] values, double q) {
        double[] s = values.clone();
        Arrays.sort(s);
        double h = (s.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (h - lo) * (s[hi] - s[lo]);
    }

    private static final class Baseline {
        final double[] values;
        int n;
        double threshold = Double.NaN;

        Baseline(int size) { values = new double[size]; }
    }
}
