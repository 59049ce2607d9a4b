package io.latentwatch.monitor.detect;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.SaeBaseline;

import java.util.Locale;
import java.util.Map;

/**
 * Out-of-distribution inputs by reconstruction error: an SAE reconstructs what it was trained on,
 * so an activation whose relative error ||x - x̂||²/||x||² exceeds the baseline's q-quantile (times
 * a margin) is unlike the reference data. With margin 1 the false-alarm rate on in-distribution
 * traffic is 1 - q by construction (up to the quantile's estimation error).
 *
 * <p>The quantile is the one of the activation's token-position bucket when the baseline has one
 * ({@link SaeBaseline#errorQuantilesAt}): the error depends strongly on the position (on zoo-small's
 * blocks.1.hook_resid_post the p99 is ~0.06 at position 1 and ~1.0 from position 9 on), so a single
 * global quantile misses anomalies at early positions and over-fires late. Baselines without buckets
 * (older files, rows of unknown position) use the global quantile everywhere.
 */
public final class ReconErrorDetector {
    public static final String NAME = "recon-error";

    private final String quantile;
    private final double margin;
    private final double criticalFactor;

    /**
     * @param quantile       key in the baseline's error quantiles, e.g. "p99.9" or "max"
     * @param margin         multiplier on that quantile
     * @param criticalFactor errors above threshold·criticalFactor are CRITICAL
     */
    public ReconErrorDetector(String quantile, double margin, double criticalFactor) {
        if (!(margin > 0)) throw new IllegalArgumentException("recon-error margin must be > 0, got " + margin);
        this.quantile = quantile;
        this.margin = margin;
        this.criticalFactor = criticalFactor;
    }

    public String quantile() { return quantile; }

    public double threshold(Map<String, Double> errorQuantiles) {
        Double q = errorQuantiles.get(quantile);
        if (q == null) {
            throw new IllegalArgumentException("the SAE baseline has no reconstruction-error quantile '" + quantile
                    + "' (has " + errorQuantiles.keySet() + ")");
        }
        return q * margin;
    }

    /** The threshold for an activation at {@code position}, and which baseline it came from ("position 3", "positions 16-31", "global"). */
    public record Threshold(double value, String scope, String rule) {
        public Threshold(double value, String scope) { this(value, scope, null); }
    }

    public Threshold threshold(SaeBaseline baseline, int position) {
        SaeBaseline.PositionBucket b = position < 0 ? null : baseline.bucketAt(position);
        return b == null ? new Threshold(threshold(baseline.errorQuantiles()), "global", quantile)
                : new Threshold(threshold(b.errorQuantiles()), b.describe(), quantile);
    }

    /**
     * The threshold the trainer calibrated for this SAE version when it has one ({@code recon-error.margin} x the position
     * bucket's p99, chosen so that a share {@code false_alarm_rate} of held-out normal requests exceeds it), else the
     * configured quantile x margin.
     */
    public Threshold threshold(SaeBaseline baseline, int position, DetectorThresholds calibrated) {
        Double m = calibrated == null ? null : calibrated.get(DetectorThresholds.RECON_MARGIN);
        if (m == null) return threshold(baseline, position);
        SaeBaseline.PositionBucket b = position < 0 ? null : baseline.bucketAt(position);
        Map<String, Double> q = b == null ? baseline.errorQuantiles() : b.errorQuantiles();
        Double base = q.get(DetectorThresholds.RECON_BASE_QUANTILE);
        if (base == null) return threshold(baseline, position);
        return new Threshold(base * m, b == null ? "global" : b.describe(), String.format(Locale.ROOT, "%s x %.3f (false-alarm rate %s per request)",
                DetectorThresholds.RECON_BASE_QUANTILE, m, calibrated.falseAlarmRate()));
    }

    /**
     * Relative slack above the threshold before an error counts as exceeding it. At early positions the
     * reference errors take few distinct values (position 1's residual depends on one token), so the
     * quantile is often an error that normal traffic reproduces exactly, up to float noise between the
     * node's KV-cached forward and the trainer's batched one (measured below 5e-4 relative); without the
     * slack such ties fired on ~4% of the demo's normal requests.
     */
    public static final double TIE_TOLERANCE = 1e-2;

    public boolean fires(double error, double threshold) { return error > threshold * (1 + TIE_TOLERANCE); }

    public boolean critical(double error, double threshold) { return error > threshold * criticalFactor; }
}
