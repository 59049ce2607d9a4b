package io.latentwatch.monitor.detect;

import java.util.Map;

/**
 * Out-of-distribution inputs by reconstruction error: an SAE reconstructs what it was trained on,
 * so an activation whose relative error ||x - x̂||²/||x||² exceeds the baseline's q-quantile (times
 * a margin) is unlike the reference data. With margin 1 the false-alarm rate on in-distribution
 * traffic is 1 - q by construction (up to the quantile's estimation error).
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

    public boolean fires(double error, double threshold) { return error > threshold; }

    public boolean critical(double error, double threshold) { return error > threshold * criticalFactor; }
}
