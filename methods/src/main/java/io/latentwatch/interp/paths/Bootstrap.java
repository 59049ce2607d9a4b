package io.latentwatch.interp.paths;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap over input pairs (Efron 1979) for a ratio of means, the form of the proportion of
 * the effect explained: mean(patched − ref) / mean(clean − ref) over a resample of pairs.
 */
public final class Bootstrap {
    private Bootstrap() {}

    /** {low, high} of the central {@code level} interval of the resampled ratio. */
    public static double[] ratioOfMeansCi(double[] num, double[] den, int resamples, double level, long seed) {
        int n = num.length;
        if (n != den.length || n == 0) throw new IllegalArgumentException("need equal, non-empty arrays");
        SplittableRandom r = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double a = 0, d = 0;
            for (int i = 0; i < n; i++) {
                int j = r.nextInt(n);
                a += num[j];
                d += den[j];
            }
            stats[b] = a / d;
        }
        Arrays.sort(stats);
        double alpha = (1 - level) / 2;
        return new double[] {quantile(stats, alpha), quantile(stats, 1 - alpha)};
    }

    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
