package io.latentwatch.monitor.detect;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-latent firing-frequency drift over a tumbling window of n projected activations: for each
 * latent, the window's firing count c_i is tested against Binomial(n, f_i) with f_i the SAE's
 * baseline firing frequency (two-sided exact test, {@link BinomialTail}), and the d_sae tests are
 * corrected together by Benjamini–Hochberg at FDR q, so that a 24k-latent dictionary does not
 * raise a drift alert on every window by chance.
 *
 * <p>The baseline frequency is floored at {@code 0.5 / baselineTokens}: a latent never seen in N
 * reference tokens has an unknown frequency below ~1/N, not zero; without the floor a single firing
 * would give p = 0. Never-seen latents are the rare-latent detector's job.
 */
public final class LatentDriftDetector {
    public static final String NAME = "latent-drift";

    public record Drifted(int latent, int observed, double expected, double p, double adjustedP) {}

    public record Verdict(int windowSize, int tested, List<Drifted> drifted, double minAdjustedP) {
        public boolean alert() { return !drifted.isEmpty(); }
    }

    private final double fdr;

    public LatentDriftDetector(double fdr) {
        if (!(fdr > 0 && fdr < 1)) throw new IllegalArgumentException("drift FDR must be in (0, 1), got " + fdr);
        this.fdr = fdr;
    }

    public double fdr() { return fdr; }

    public Verdict evaluate(int[] counts, int n, float[] baselineFrequency, int baselineTokens) {
        if (counts.length != baselineFrequency.length) {
            throw new IllegalArgumentException("window counts cover " + counts.length + " latents, baseline " + baselineFrequency.length);
        }
        double floor = 0.5 / Math.max(1, baselineTokens);
        double[] p = new double[counts.length];
        BinomialTail tail = BinomialTail.forN(n); // one table of log C(n, k) for every latent
        for (int i = 0; i < counts.length; i++) {
            double f = Math.min(1 - floor, Math.max(floor, baselineFrequency[i]));
            p[i] = tail.twoSided(Math.min(counts[i], n), f);
        }
        double[] adj = BenjaminiHochberg.adjust(p);
        List<Drifted> out = new ArrayList<>();
        double min = 1;
        for (int i = 0; i < counts.length; i++) {
            min = Math.min(min, adj[i]);
            if (adj[i] <= fdr) out.add(new Drifted(i, counts[i], (double) n * baselineFrequency[i], p[i], adj[i]));
        }
        out.sort(Comparator.comparingDouble(Drifted::adjustedP));
        return new Verdict(n, counts.length, out, min);
    }
}
