package io.latentwatch.monitor.detect;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The Benjamini–Hochberg step-up procedure (J. R. Stat. Soc. B 57, 1995): among m p-values sorted
 * ascending, reject the k smallest where k is the largest i with p_(i) <= i·q/m. Controls the false
 * discovery rate at q for independent (or positively dependent) tests — here one test per latent.
 * Adjusted p-values are min over j >= i of m·p_(j)/j, capped at 1 (R's {@code p.adjust(method="BH")}).
 */
public final class BenjaminiHochberg {
    private BenjaminiHochberg() {}

    public static double[] adjust(double[] p) {
        int m = p.length;
        Integer[] order = IntStream.range(0, m).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> p[i]));
        double[] adj = new double[m];
        double running = 1.0;
        for (int r = m - 1; r >= 0; r--) {
            int i = order[r];
            running = Math.min(running, p[i] * m / (r + 1));
            adj[i] = Math.min(1.0, running);
        }
        return adj;
    }

    /** Which hypotheses are rejected at false discovery rate q. */
    public static boolean[] reject(double[] p, double q) {
        if (!(q > 0 && q < 1)) throw new IllegalArgumentException("FDR level must be in (0, 1), got " + q);
        double[] adj = adjust(p);
        boolean[] r = new boolean[p.length];
        for (int i = 0; i < p.length; i++) r[i] = adj[i] <= q;
        return r;
    }
}
