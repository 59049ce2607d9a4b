package io.latentwatch.interp.paths;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Per-pair metric values of the clean run, the reference run and the patched run, and the summary of
 * Goldowsky-Dill et al. 2023: total effect = mean(clean − reference); effect of the hypothesis =
 * mean(patched − reference); unexplained = mean(clean − patched); proportion explained = 1 − unexplained/total
 * (= effect/total), with a 95% percentile-bootstrap interval over pairs.
 */
public record PatchingResult(Hypothesis hypothesis, Metric metric, double[] clean, double[] reference, double[] patched,
                             double ciLow, double ciHigh) {
    public static final int RESAMPLES = 2000;

    public static PatchingResult of(Hypothesis h, Metric m, double[] clean, double[] ref, double[] patched) {
        double[] num = new double[clean.length], den = new double[clean.length];
        for (int i = 0; i < clean.length; i++) {
            num[i] = patched[i] - ref[i];
            den[i] = clean[i] - ref[i];
        }
        double[] ci = clean.length > 1 ? Bootstrap.ratioOfMeansCi(num, den, RESAMPLES, 0.95, 17L) : new double[] {Double.NaN, Double.NaN};
        return new PatchingResult(h, m, clean, ref, patched, ci[0], ci[1]);
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) s += v;
        return s / a.length;
    }

    public double meanClean() { return mean(clean); }

    public double meanReference() { return mean(reference); }

    public double meanPatched() { return mean(patched); }

    /** mean(clean − reference). */
    public double totalEffect() { return meanClean() - meanReference(); }

    /** Standard error of the total effect over pairs. */
    public double totalEffectSe() {
        double m = totalEffect(), ss = 0;
        for (int i = 0; i < clean.length; i++) ss += Math.pow(clean[i] - reference[i] - m, 2);
        return clean.length < 2 ? Double.NaN : Math.sqrt(ss / (clean.length - 1) / clean.length);
    }

    /** Whether the clean/reference difference is at least two standard errors from 0 (else proportions mean little). */
    public boolean reliableEffect() { return Math.abs(totalEffect()) >= 2 * totalEffectSe(); }

    /** mean(patched − reference): the effect the hypothesis's paths carry. */
    public double effect() { return meanPatched() - meanReference(); }

    /** 1 − unexplained / total = effect / total. */
    public double proportionExplained() { return 1 - (meanClean() - meanPatched()) / totalEffect(); }

    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.set("hypothesis", hypothesis.toJson());
        o.put("metric", metric.name().toLowerCase());
        o.put("pairs", clean.length);
        o.put("mean_clean", meanClean());
        o.put("mean_reference", meanReference());
        o.put("mean_patched", meanPatched());
        o.put("total_effect", totalEffect());
        o.put("total_effect_se", totalEffectSe());
        o.put("reliable_total_effect", reliableEffect());
        o.put("effect", effect());
        o.put("proportion_explained", proportionExplained());
        o.put("ci95_low", ciLow);
        o.put("ci95_high", ciHigh);
        return o;
    }
}
