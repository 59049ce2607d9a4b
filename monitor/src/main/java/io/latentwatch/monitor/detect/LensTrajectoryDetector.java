package io.latentwatch.monitor.detect;

import io.latentwatch.interp.calibrate.FalseAlarmCalibration;
import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.monitor.MonitorConfig;

import io.latentwatch.schema.Severity;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

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
 * <p>Pure math: {@link #evaluate(Baseline, double)} takes the baseline and returns the next one, so the monitor keeps
 * baselines in a changelogged state store (they survive a restart or a rebalance); {@link #evaluate(String, double)}
 * keeps them in this object instead, for offline use.
 */
public final class LensTrajectoryDetector {
    public static final String NAME = "lens-trajectory";

    private final int warmup;
    private final double quantile;
    private final double margin;
    /** Baselines of {@link #evaluate(String, double)} only (in memory). */
    private final Map<String, Baseline> baselines = new ConcurrentHashMap<>();

    /** The detector with the {@code monitor.lens.*} settings of {@code c}. */
    public static LensTrajectoryDetector of(MonitorConfig c) {
        return new LensTrajectoryDetector(c.integer(MonitorConfig.LENS_WARMUP),
                c.dbl(MonitorConfig.LENS_QUANTILE), c.dbl(MonitorConfig.LENS_MARGIN));
    }

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
        double kl = LensMath.kl(LensMath.logSoftmax(finalLogits), LensMath.logSoftmax(earlyLogits));
        return Math.max(0, kl); // rounding can give -1e-9 for identical rows
    }

    /**
     * Scores {@code score} for key (typically {@code modelId|layer}) against a baseline held in this object, learning it
     * during warm-up: the in-memory form of {@link #evaluate(Baseline, double)}, for offline use and tests. The monitor
     * keeps its baselines in a changelogged state store instead ({@code LensTrajectoryProcessor}).
     */
    public Verdict evaluate(String key, double score) {
        Verdict[] out = new Verdict[1];
        baselines.compute(key, (k, b) -> {
            Step s = evaluate(b, score);
            out[0] = s.verdict();
            return s.baseline();
        });
        return out[0];
    }

    /** A verdict and the baseline after it; {@code changed} is false once the baseline is complete (nothing to write back). */
    public record Step(Verdict verdict, Baseline baseline, boolean changed) {}

    /**
     * Scores {@code score} against {@code current} (null: nothing seen yet) without holding any state: during warm-up
     * the score joins the baseline (a new {@link Baseline} is returned, {@code changed}); once {@code warmup} scores are
     * in, the threshold is fixed and the baseline no longer changes.
     */
    public Step evaluate(Baseline current, double score) {
        if (!Double.isFinite(score)) throw new IllegalArgumentException("lens-trajectory score is " + score);
        Baseline b = current == null ? Baseline.EMPTY : current;
        if (!b.complete()) {
            Baseline next = b.add(score, warmup, quantile, margin);
            return new Step(new Verdict(score, Double.NaN, false, true, next.count(), Severity.INFO), next, true);
        }
        boolean alert = score > b.threshold();
        Severity sev = score > 4 * b.threshold() ? Severity.CRITICAL : Severity.WARNING;
        return new Step(new Verdict(score, b.threshold(), alert, false, b.count(), alert ? sev : Severity.INFO), b, false);
    }

    /** Threshold in force for {@code key} of the in-memory baselines; NaN while it warms up. */
    public double threshold(String key) {
        Baseline b = baselines.get(key);
        return b == null || !b.complete() ? Double.NaN : b.threshold();
    }

    public int warmup() { return warmup; }

    /**
     * The warm-up baseline of one (model, early layer), immutable: the scores seen so far while it warms up, then only
     * the count and the threshold ({@code quantile x margin}, fixed when the last warm-up score arrives). Its bytes
     * ({@link #toBytes}) are what the monitor's state store and changelog hold: 1 + 4 + 8 + 8 x (scores kept) bytes.
     */
    public static final class Baseline {
        static final Baseline EMPTY = new Baseline(0, Double.NaN, new double[0]);
        private static final byte FORMAT = 1;
        private final int count;
        private final double threshold;
        private final double[] values;

        private Baseline(int count, double threshold, double[] values) {
            this.count = count;
            this.threshold = threshold;
            this.values = values;
        }

        /** Scores in the baseline. */
        public int count() { return count; }

        /** The alert threshold; NaN while warming up. */
        public double threshold() { return threshold; }

        /** Whether warm-up is over (the threshold is fixed). */
        public boolean complete() { return !Double.isNaN(threshold); }

        Baseline add(double score, int warmup, double q, double margin) {
            double[] v = Arrays.copyOf(values, values.length + 1);
            v[values.length] = score;
            if (v.length >= warmup) return new Baseline(v.length, quantileOf(v, q) * margin, new double[0]);
            return new Baseline(v.length, Double.NaN, v);
        }

        public byte[] toBytes() {
            ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 8 * values.length);
            b.put(FORMAT).putInt(count).putDouble(threshold);
            for (double d : values) b.putDouble(d);
            return b.array();
        }

        public static Baseline fromBytes(byte[] bytes) {
            if (bytes == null) return null;
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (bytes.length < 13 || (bytes.length - 13) % 8 != 0 || b.get() != FORMAT) {
                throw new IllegalArgumentException("not a lens-trajectory baseline (" + bytes.length + " bytes)");
            }
            int n = b.getInt();
            double t = b.getDouble();
            double[] v = new double[(bytes.length - 13) / 8];
            for (int i = 0; i < v.length; i++) v[i] = b.getDouble();
            return new Baseline(n, t, v);
        }

        /** The state-store (and changelog) serde. */
        public static Serde<Baseline> serde() {
            return Serdes.serdeFrom((topic, x) -> x == null ? null : x.toBytes(),
                    (topic, bytes) -> fromBytes(bytes));
        }

        @Override public String toString() { return "Baseline[n=" + count + ", threshold=" + threshold + "]"; }
    }

    /** Empirical quantile, type 7 as numpy's default: the one implementation in {@link FalseAlarmCalibration#quantile}. */
    static double quantileOf(double[] values, double q) {
        return FalseAlarmCalibration.quantile(values, q);
    }
}
