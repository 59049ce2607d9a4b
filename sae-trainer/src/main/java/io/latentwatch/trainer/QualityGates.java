package io.latentwatch.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a candidate SAE may replace the current version. Absolute gates: FVU at most
 * {@code maxFvu}, L0 within [l0Min, l0Max], dead fraction at most {@code maxDeadFraction}, CE
 * increase at most {@code maxCeIncrease} (nats; skipped when not measured). Against the current
 * version it must also be better: FVU lower by more than {@code minFvuImprovement} (absolute) and CE
 * increase no worse than the current one's plus {@code ceTolerance}.
 * Metric names are SaeVersion.metrics's: fvu, mse, l0, dead_fraction, dense_fraction, ce_increase.
 */
public record QualityGates(double maxFvu, double l0Min, double l0Max, double maxDeadFraction, double maxCeIncrease,
                           double minFvuImprovement, double ceTolerance) {

    public record Decision(boolean accepted, List<String> reasons) {}

    public static QualityGates defaults() {
        return new QualityGates(0.2, 1, 64, 0.5, 0.5, 0.0, 0.02);
    }

    public Decision judge(Map<String, Double> candidate, Map<String, Double> current) {
        List<String> why = new ArrayList<>();
        double fvu = get(candidate, "fvu");
        double l0 = get(candidate, "l0");
        double dead = get(candidate, "dead_fraction");
        Double ce = candidate.get("ce_increase");
        if (!(fvu <= maxFvu)) why.add(String.format("FVU %.4f above the gate %.4f", fvu, maxFvu));
        if (!(l0 >= l0Min && l0 <= l0Max)) why.add(String.format("L0 %.2f outside [%.1f, %.1f]", l0, l0Min, l0Max));
        if (!(dead <= maxDeadFraction)) why.add(String.format("dead fraction %.3f above %.3f", dead, maxDeadFraction));
        if (ce != null && !(ce <= maxCeIncrease)) why.add(String.format("CE increase %.4f nats above %.4f", ce, maxCeIncrease));
        if (current != null && !current.isEmpty()) {
            double curFvu = get(current, "fvu");
            if (!(fvu < curFvu - minFvuImprovement)) {
                why.add(String.format("FVU %.4f does not beat the current version's %.4f (needs an improvement above %.4f)", fvu, curFvu, minFvuImprovement));
            }
            Double curCe = current.get("ce_increase");
            if (ce != null && curCe != null && ce > curCe + ceTolerance) {
                why.add(String.format("CE increase %.4f worse than the current version's %.4f (+%.3f tolerance)", ce, curCe, ceTolerance));
            }
        }
        return new Decision(why.isEmpty(), List.copyOf(why));
    }

    private static double get(Map<String, Double> m, String k) {
        Double v = m.get(k);
        if (v == null) throw new IllegalArgumentException("metrics lack '" + k + "' (have " + m.keySet() + ")");
        return v;
    }
}
