package io.latentwatch.monitor.detect;

import io.latentwatch.schema.Severity;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationNormDetectorTest {
    private static float[] gaussian(Random r, int d, double scale) {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float) (scale * r.nextGaussian());
        return v;
    }

    @Test
    void l2NormAgainstHandComputedValues() {
        assertEquals(5.0, ActivationNormDetector.l2Norm(new float[] {3, 4}), 1e-12);
        assertEquals(0.0, ActivationNormDetector.l2Norm(new float[0]));
        assertEquals(Math.sqrt(64 * 0.25), ActivationNormDetector.l2Norm(filled(64, -0.5f)), 1e-12);
    }

    private static float[] filled(int n, float x) {
        float[] v = new float[n];
        Arrays.fill(v, x);
        return v;
    }

    @Test
    void silentDuringWarmUpThenScoresZAgainstTheBaseline() {
        ActivationNormDetector d = new ActivationNormDetector(3, 2.0, 5.0);
        WelfordStats s = null;
        for (float x : new float[] {1, 2, 3}) { // norms 1, 2, 3 of 1-element vectors
            ActivationNormDetector.Verdict v = d.evaluate(s, new float[] {x * 100}); // huge, but still warm-up
            assertFalse(v.warm());
            assertFalse(v.alert());
            s = v.updated();
        }
        // baseline norms 100, 200, 300: mean 200, sd 100.
        ActivationNormDetector.Verdict v = d.evaluate(s, new float[] {-450}); // norm 450 -> z = 2.5
        assertTrue(v.warm());
        assertEquals(2.5, v.z(), 1e-9);
        assertTrue(v.alert());
        assertEquals(Severity.WARNING, v.severity());
        assertEquals(s, v.updated(), "a flagged norm does not move the baseline");
        ActivationNormDetector.Verdict crit = d.evaluate(s, new float[] {900}); // z = 7
        assertEquals(Severity.CRITICAL, crit.severity());
        ActivationNormDetector.Verdict normal = d.evaluate(s, new float[] {250}); // z = 0.5
        assertFalse(normal.alert());
        assertEquals(4, normal.updated().count());
    }

    @Test
    void falseAlarmRateOnGaussianVectorsStaysNearTheNominalRate() {
        ActivationNormDetector d = new ActivationNormDetector(50, 4.0, 8.0);
        Random r = new Random(11);
        WelfordStats s = null;
        int alerts = 0, n = 20_000;
        for (int i = 0; i < n; i++) {
            ActivationNormDetector.Verdict v = d.evaluate(s, gaussian(r, 64, 1.0));
            if (v.alert()) alerts++;
            s = v.updated();
        }
        // Nominal two-sided rate at 4 sd is 6.3e-5 (1.3 expected); the chi(64) norm has a slightly
        // heavier right tail and the young baseline is noisy, so allow 10 (5e-4).
        assertTrue(alerts <= 10, "false alarms: " + alerts);
        // A vector three times larger is far outside: chi(64) norm ~ 8 +- 0.7, so 24 is z ~ 23.
        ActivationNormDetector.Verdict out = d.evaluate(s, gaussian(r, 64, 3.0));
        assertTrue(out.alert() && out.z() > 8, "z = " + out.z());
    }

    @Test
    void constantBaselineAndBadSettings() {
        ActivationNormDetector d = new ActivationNormDetector(2, 3.0, 6.0);
        WelfordStats s = WelfordStats.EMPTY.add(1).add(1);
        assertFalse(d.evaluate(s, new float[] {1}).alert());
        assertTrue(d.evaluate(s, new float[] {1.01f}).alert());
        assertThrows(IllegalArgumentException.class, () -> new ActivationNormDetector(1, 3, 6));
        assertThrows(IllegalArgumentException.class, () -> new ActivationNormDetector(10, 6, 3));
    }
}
