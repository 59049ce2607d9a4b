package io.latentwatch.monitor.detect;

import java.util.ArrayList;
import java.util.List;

/**
 * Rare or never-seen latents firing: a latent whose baseline firing frequency is below epsilon
 * (never seen on the reference data when epsilon is below 1/tokens) fires with at least a minimum
 * activation. On in-distribution traffic the chance of a false alarm per activation is at most
 * the sum of the baseline frequencies of the rare latents (each below epsilon).
 *
 * <p>An SAE version with trainer-chosen thresholds ({@code DetectorThresholds}) brings its own frequencies, counted on the
 * full training set and smoothed so that a latent never seen in N rows has 0.5 / (N + 1), and its own epsilon, chosen so
 * that a share {@code false_alarm_rate} of held-out normal requests has a latent below it.
 */
public final class RareLatentDetector {
    public static final String NAME = "rare-latent";

    public record Hit(int latent, float activation, double baselineFrequency) {}

    private final double epsilon;
    private final double minActivation;

    public RareLatentDetector(double epsilon, double minActivation) {
        if (!(epsilon >= 0)) throw new IllegalArgumentException("rare-latent epsilon must be >= 0, got " + epsilon);
        this.epsilon = epsilon;
        this.minActivation = minActivation;
    }

    public double epsilon() { return epsilon; }

    public List<Hit> hits(List<Integer> latents, List<Float> values, float[] baselineFrequency) {
        return hits(latents, values, baselineFrequency, epsilon);
    }

    /** As {@link #hits(List, List, float[])} with another epsilon (the one the trainer calibrated for the SAE version). */
    public List<Hit> hits(List<Integer> latents, List<Float> values, float[] baselineFrequency, double epsilon) {
        List<Hit> out = new ArrayList<>();
        for (int i = 0; i < latents.size(); i++) {
            int id = latents.get(i);
            float v = values.get(i);
            if (id >= 0 && id < baselineFrequency.length && baselineFrequency[id] < epsilon && v > minActivation) {
                out.add(new Hit(id, v, baselineFrequency[id]));
            }
        }
        return out;
    }
}
