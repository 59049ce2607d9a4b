package io.latentwatch.monitor.detect;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatentDriftDetectorTest {
    static int[] window(Random r, float[] f, int n) {
        int[] c = new int[f.length];
        for (int t = 0; t < n; t++) for (int i = 0; i < f.length; i++) if (r.nextDouble() < f[i]) c[i]++;
        return c;
    }

    static float[] frequencies(Random r, int d) {
        float[] f = new float[d];
        for (int i = 0; i < d; i++) f[i] = (float) Math.pow(10, -3 + 2.5 * r.nextDouble()); // 1e-3 .. 0.3
        return f;
    }

    /** False-alarm rate on windows drawn from the baseline itself: BH at q bounds it near q. */
    @Test
    void falseAlarmRateOnBaselineWindowsIsAtMostTheFdr() {
        Random r = new Random(7);
        float[] f = frequencies(r, 256);
        LatentDriftDetector d = new LatentDriftDetector(0.01);
        int windows = 300, alarms = 0;
        for (int w = 0; w < windows; w++) if (d.evaluate(window(r, f, 300), 300, f, 1_000_000).alert()) alarms++;
        double far = (double) alarms / windows;
        // Under the global null, BH's family-wise error rate equals its FDR (q = 0.01). The two-sided
        // doubled binomial test is conservative, so the measured rate sits below q.
        assertTrue(far <= 0.02, "false-alarm rate per window " + far);
    }

    @Test
    void findsTheLatentsWhoseFrequencyChanged() {
        Random r = new Random(11);
        float[] f = frequencies(r, 256);
        float[] shifted = f.clone();
        shifted[5] = Math.min(1f, f[5] * 4 + 0.05f);
        shifted[77] = 0f;
        f[77] = 0.2f;
        LatentDriftDetector.Verdict v = new LatentDriftDetector(0.01).evaluate(window(r, shifted, 500), 500, f, 1_000_000);
        assertTrue(v.alert());
        assertTrue(v.drifted().stream().anyMatch(x -> x.latent() == 5), v.toString());
        assertTrue(v.drifted().stream().anyMatch(x -> x.latent() == 77 && x.observed() == 0), v.toString());
        assertTrue(v.drifted().size() <= 4, v.drifted().toString());
    }

    @Test
    void aLatentNeverSeenInTheBaselineIsNotInfinitelySignificant() {
        float[] f = new float[10];
        int[] c = new int[10];
        c[3] = 1; // fired once in 100 samples, never in 10 baseline tokens: weak evidence at most
        assertFalse(new LatentDriftDetector(0.01).evaluate(c, 100, f, 10).alert());
        assertEquals(1, new LatentDriftDetector(0.01).evaluate(c, 100, f, 1_000_000).drifted().size());
    }
}
