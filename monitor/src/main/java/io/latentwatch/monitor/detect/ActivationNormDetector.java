package io.latentwatch.monitor.detect;

import io.latentwatch.schema.Severity;

/**
 * The first detector: how unusual is the L2 norm of an activation for its (model, hook)?
 *
 * <p>The score is the z-score z = (‖h‖ - μ) / σ against a running baseline of earlier norms
 * (Welford mean and variance). Activation norms are a cheap, model-agnostic out-of-distribution
 * signal: residual-stream norms are stable per layer on in-distribution text and jump on
 * adversarial or garbage inputs and on numerical faults. No score is given during a warm-up of
 * {@code warmup} observations (the baseline is too young). Flagged norms are not added to the
 * baseline, so a burst of anomalies does not teach the detector that they are normal.
 *
 * <p>|z| &gt; threshold is a WARNING, |z| &gt; criticalThreshold is CRITICAL. For normally
 * distributed norms, threshold 4 gives a two-sided false-alarm rate of 6.3e-5 per activation.
 */
public final class ActivationNormDetector {
    public static final String NAME = "activation-norm";

    private final long warmup;
    private final double threshold;
    private final double criticalThreshold;

    /** The verdict for one activation, with the baseline it was scored against. */
    public record Verdict(double norm, double z, boolean warm, boolean alert, Severity severity,
                          WelfordStats baseline, WelfordStats updated) {}

    public ActivationNormDetector(long warmup, double threshold, double criticalThreshold) {
        if (warmup < 2) throw new IllegalArgumentException("warm-up must be at least 2 observations, got " + warmup);
        if (!(threshold > 0) || !(criticalThreshold >= threshold)) {
            throw new IllegalArgumentException("need 0 < threshold <= critical threshold, got " + threshold + ", " + criticalThreshold);
        }
        this.warmup = warmup;
        this.threshold = threshold;
        this.criticalThreshold = criticalThreshold;
    }

    public static ActivationNormDetector defaults() { return new ActivationNormDetector(50, 4.0, 8.0); }

    public long warmup() { return warmup; }
    public double threshold() { return threshold; }
    public double criticalThreshold() { return criticalThreshold; }

    /** L2 norm, accumulated in double so long F16 vectors do not lose precision. */
    public static double l2Norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    /** Scores {@code values} against {@code baseline} (null = none yet) and returns the updated baseline. */
    public Verdict evaluate(WelfordStats baseline, float[] values) {
        WelfordStats b = baseline == null ? WelfordStats.EMPTY : baseline;
        double norm = l2Norm(values);
        boolean warm = b.count() >= warmup;
        double sd = b.stddev();
        double z;
        if (!warm) z = 0;
        else if (sd > 0) z = (norm - b.mean()) / sd;
        // A constant baseline: any change is infinitely surprising, no change is not.
        else z = norm == b.mean() ? 0 : Math.copySign(Double.POSITIVE_INFINITY, norm - b.mean());
        boolean alert = warm && Math.abs(z) > threshold;
        Severity sev = !alert ? Severity.INFO : Math.abs(z) > criticalThreshold ? Severity.CRITICAL : Severity.WARNING;
        return new Verdict(norm, z, warm, alert, sev, b, alert ? b : b.add(norm));
    }

    /**
     * Scores {@code values} against a reference the trainer measured for the SAE version of this hook: its norm mean and
     * sd and the |z| threshold chosen for a false-alarm rate per request ({@code DetectorThresholds}). The verdict's
     * baselines are that reference as (count 0) statistics; nothing is learned from live traffic. CRITICAL above twice the
     * threshold, or above the configured critical |z| when that is higher.
     */
    public Verdict evaluate(double refMean, double refSd, double zThreshold, float[] values) {
        double norm = l2Norm(values);
        double z = refSd > 0 ? (norm - refMean) / refSd : norm == refMean ? 0 : Math.copySign(Double.POSITIVE_INFINITY, norm - refMean);
        boolean alert = Math.abs(z) > zThreshold;
        Severity sev = !alert ? Severity.INFO : Math.abs(z) > Math.max(2 * zThreshold, criticalThreshold) ? Severity.CRITICAL : Severity.WARNING;
        WelfordStats ref = new WelfordStats(0, refMean, 0);
        return new Verdict(norm, z, true, alert, sev, ref, ref);
    }
}
