package io.latentwatch.monitor.detect;

import io.latentwatch.schema.Severity;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LensTrajectoryDetectorTest {

    /** Reference: KL(p || q) = Σ p_i ln(p_i / q_i) with p, q from exp / sum (no log-sum-exp), in double. */
    private static double scalarKl(float[] a, float[] b) {
        double za = 0, zb = 0;
        for (float v : a) za += Math.exp(v);
        for (float v : b) zb += Math.exp(v);
        double kl = 0;
        for (int i = 0; i < a.length; i++) {
            double p = Math.exp(a[i]) / za, q = Math.exp(b[i]) / zb;
            kl += p * Math.log(p / q);
        }
        return kl;
    }

    @Test
    void divergenceIsTheScalarKlOfTheFinalFromTheEarlyDistribution() {
        Random r = new Random(7);
        for (int t = 0; t < 20; t++) {
            float[] a = new float[50], b = new float[50];
            for (int i = 0; i < a.length; i++) { a[i] = (float) (3 * r.nextGaussian()); b[i] = (float) (3 * r.nextGaussian()); }
            double kl = LensTrajectoryDetector.divergence(a, b);
            assertEquals(scalarKl(a, b), kl, 1e-9 * Math.max(1, kl));
            assertTrue(kl > 0);
            // direction matters: KL(final || early), not the reverse
            if (Math.abs(scalarKl(b, a) - kl) > 1e-6) assertTrue(Math.abs(LensTrajectoryDetector.divergence(b, a) - kl) > 1e-7);
        }
        float[] x = {1, 2, 3};
        assertEquals(0, LensTrajectoryDetector.divergence(x, x), 1e-12);
        // invariant to a constant shift of the logits (softmax is)
        assertEquals(0, LensTrajectoryDetector.divergence(x, new float[] {11, 12, 13}), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> LensTrajectoryDetector.divergence(x, new float[2]));
    }

    @Test
    void quantileInterpolatesBetweenOrderStatistics() {
        double[] v = {5, 1, 4, 2, 3};
        assertEquals(1, LensTrajectoryDetector.quantileOf(v, 0), 1e-12);
        assertEquals(3, LensTrajectoryDetector.quantileOf(v, 0.5), 1e-12);
        assertEquals(4.6, LensTrajectoryDetector.quantileOf(v, 0.9), 1e-12);
    }

    @Test
    void warmUpLearnsTheThresholdAndNothingAlertsBeforeIt() {
        LensTrajectoryDetector d = new LensTrajectoryDetector(5, 0.5, 2.0);
        for (double s : new double[] {5, 1, 4, 2}) {
            LensTrajectoryDetector.Verdict v = d.evaluate("m|1", s * 100);
            assertFalse(v.alert());
            assertTrue(v.warmingUp());
        }
        assertTrue(Double.isNaN(d.threshold("m|1")));
        d.evaluate("m|1", 300);
        assertEquals(600, d.threshold("m|1"), 1e-9); // median 300 x margin 2
        assertFalse(d.evaluate("m|1", 599).alert());
        LensTrajectoryDetector.Verdict v = d.evaluate("m|1", 601);
        assertTrue(v.alert());
        assertEquals(Severity.WARNING, v.severity());
        assertEquals(Severity.CRITICAL, d.evaluate("m|1", 2401).severity());
        // keys are independent
        assertTrue(d.evaluate("m|0", 10_000).warmingUp());
        assertThrows(IllegalArgumentException.class, () -> new LensTrajectoryDetector(1, 0.5, 1));
        assertThrows(IllegalArgumentException.class, () -> new LensTrajectoryDetector(10, 1.0, 1));
        assertThrows(IllegalArgumentException.class, () -> d.evaluate("m|1", Double.NaN));
    }

    /**
     * Scores drawn from one distribution (chi-square-like, as KL values are): with q = 0.99 and margin 1 the
     * expected false-alarm rate is 1%; we assert below 2.5% on 20,000 scores (binomial sd of the rate 0.07%,
     * plus the warm-up quantile's own error), and that an injected score 10x the baseline fires.
     */
    @Test
    void falseAlarmRateOnScoresLikeTheWarmUpIsBelowTheBoundAndAnInjectedDivergenceFires() {
        Random r = new Random(11);
        LensTrajectoryDetector d = new LensTrajectoryDetector(1000, 0.99, 1.0);
        for (int i = 0; i < 1000; i++) d.evaluate("m|1", chi2(r));
        int alarms = 0, n = 20_000;
        for (int i = 0; i < n; i++) if (d.evaluate("m|1", chi2(r)).alert()) alarms++;
        double rate = alarms / (double) n;
        assertTrue(rate < 0.025, "false-alarm rate " + rate);
        assertTrue(rate > 0.002, "threshold is not absurdly high: rate " + rate);
        assertTrue(d.evaluate("m|1", 10 * d.threshold("m|1")).alert());
    }

    /**
     * The stateless form the monitor's state store uses: the baseline travels as bytes between scores (as through the
     * changelog), and the verdicts are the same as the in-memory form's; the baseline stops changing after warm-up.
     */
    @Test
    void baselineRoundTripsThroughBytesAtEveryStepAndMatchesTheInMemoryDetector() {
        Random r = new Random(5);
        LensTrajectoryDetector mem = new LensTrajectoryDetector(50, 0.95, 1.2), stateless = new LensTrajectoryDetector(50, 0.95, 1.2);
        byte[] stored = null;
        int writes = 0;
        for (int i = 0; i < 300; i++) {
            double score = i == 200 ? 5.0 : chi2(r);
            LensTrajectoryDetector.Verdict a = mem.evaluate("m|1", score);
            LensTrajectoryDetector.Step st = stateless.evaluate(LensTrajectoryDetector.Baseline.fromBytes(stored), score);
            if (st.changed()) { stored = LensTrajectoryDetector.Baseline.serde().serializer().serialize("t", st.baseline()); writes++; }
            assertEquals(a, st.verdict(), "step " + i);
            assertEquals(i < 50, st.changed(), "step " + i);
        }
        assertEquals(50, writes);
        LensTrajectoryDetector.Baseline b = LensTrajectoryDetector.Baseline.serde().deserializer().deserialize("t", stored);
        assertTrue(b.complete());
        assertEquals(50, b.count());
        assertEquals(mem.threshold("m|1"), b.threshold(), 0.0);
        assertEquals(13, stored.length, "a complete baseline keeps only its count and threshold");
        assertTrue(stateless.evaluate(b, 5.0).verdict().alert());
        assertThrows(IllegalArgumentException.class, () -> LensTrajectoryDetector.Baseline.fromBytes(new byte[] {9, 0, 0}));
    }

    private static double chi2(Random r) {
        double s = 0;
        for (int k = 0; k < 3; k++) { double g = r.nextGaussian(); s += g * g; }
        return 0.05 * s;
    }
}
