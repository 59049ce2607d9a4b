package io.latentwatch.monitor.detect;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.SaeBaseline;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThresholdDetectorsTest {
    @Test
    void reconErrorFalseAlarmRateIsOneMinusTheQuantile() {
        Random r = new Random(3);
        // Reference errors and fresh in-distribution errors from the same (log-normal) distribution.
        double[] ref = new double[20_000];
        for (int i = 0; i < ref.length; i++) ref[i] = Math.exp(-3 + 0.5 * r.nextGaussian());
        Arrays.sort(ref);
        double p99 = ref[(int) Math.round(0.99 * (ref.length - 1))];
        ReconErrorDetector d = new ReconErrorDetector("p99", 1.0, 4.0);
        double threshold = d.threshold(Map.of("p99", p99));
        int alarms = 0, n = 50_000;
        for (int i = 0; i < n; i++) if (d.fires(Math.exp(-3 + 0.5 * r.nextGaussian()), threshold)) alarms++;
        assertEquals(0.01, (double) alarms / n, 0.002);
        assertTrue(d.critical(threshold * 5, threshold));
        assertFalse(d.critical(threshold * 3, threshold));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ReconErrorDetector("p42", 1, 4).threshold(Map.of("p99", 1.0)));
        assertTrue(e.getMessage().contains("p42"));
    }

    @Test
    void perPositionReconThresholdsKeepTheFalseAlarmRateAtEveryPositionAndCatchEarlyAnomalies() {
        // Errors whose scale grows with the position, as on zoo-small's residual stream (p99 ~0.08 at position 1, ~1 at 13).
        Random r = new Random(5);
        int positions = 20, perPosition = 5_000;
        List<SaeBaseline.PositionBucket> buckets = new ArrayList<>();
        double[] all = new double[positions * perPosition];
        for (int p = 0; p < positions; p++) {
            float[] ref = new float[perPosition];
            for (int i = 0; i < perPosition; i++) {
                ref[i] = (float) error(r, p);
                all[p * perPosition + i] = ref[i];
            }
            Arrays.sort(ref);
            buckets.add(new SaeBaseline.PositionBucket(p, p + 1, perPosition, Map.of("p99", (double) ref[(int) Math.round(0.99 * (perPosition - 1))])));
        }
        Arrays.sort(all);
        Map<String, Double> global = Map.of("p99", all[(int) Math.round(0.99 * (all.length - 1))]);
        SaeBaseline withBuckets = new SaeBaseline(all.length, 0, 0, 0, new float[1], global, new double[] {0, 1}, new long[] {0}, buckets);
        SaeBaseline globalOnly = new SaeBaseline(all.length, 0, 0, 0, new float[1], global, new double[] {0, 1}, new long[] {0});
        ReconErrorDetector d = new ReconErrorDetector("p99", 1.0, 4.0);
        int n = 20_000;
        for (int p : new int[] {1, 10, 19}) {
            int alarmsBucket = 0, alarmsGlobal = 0, caughtBucket = 0, caughtGlobal = 0;
            for (int i = 0; i < n; i++) {
                double e = error(r, p);
                if (d.fires(e, d.threshold(withBuckets, p).value())) alarmsBucket++;
                if (d.fires(e, d.threshold(globalOnly, p).value())) alarmsGlobal++;
                double anomaly = 5 * error(r, p);   // an input the SAE reconstructs five times worse than usual here
                if (d.fires(anomaly, d.threshold(withBuckets, p).value())) caughtBucket++;
                if (d.fires(anomaly, d.threshold(globalOnly, p).value())) caughtGlobal++;
            }
            // Per position: 1 - q at every position. Global: none early, far more than 1% late.
            assertEquals(0.01, (double) alarmsBucket / n, 0.004, "position " + p);
            if (p == 1) {
                assertEquals(0, alarmsGlobal);
                assertEquals(0, caughtGlobal);
                assertTrue(caughtBucket > 0.5 * n, "position 1 anomalies caught " + caughtBucket);
            }
            if (p == 19) assertTrue(alarmsGlobal > 0.05 * n, "position 19 false alarms with the global quantile " + alarmsGlobal);
        }
        assertEquals("position 10", d.threshold(withBuckets, 10).scope());
        // No bucket there (or a baseline file without buckets): the global quantile.
        assertEquals(new ReconErrorDetector.Threshold(global.get("p99"), "global", "p99"), d.threshold(withBuckets, 25));
        assertEquals(new ReconErrorDetector.Threshold(global.get("p99"), "global", "p99"), d.threshold(globalOnly, 10));
    }

    @Test
    void reconErrorsTiedWithTheQuantileUpToFloatNoiseDoNotFire() {
        // Position 1 of a word-level model: the error is a function of the first token, so the reference holds few distinct
        // values and p99.9 is one of them; live traffic reproduces them up to float noise (other forward path, other batch).
        double[] values = {0.02, 0.035, 0.05, 0.1008};
        Random r = new Random(9);
        float[] ref = new float[2_000];
        for (int i = 0; i < ref.length; i++) ref[i] = (float) values[r.nextInt(values.length)];
        Arrays.sort(ref);
        double q = ref[(int) Math.round(0.999 * (ref.length - 1))];
        assertEquals(0.1008, q, 1e-6);
        SaeBaseline b = new SaeBaseline(ref.length, 0, 0, 0, new float[1], Map.of("p99.9", 1.0), new double[] {0, 1}, new long[] {0},
                List.of(new SaeBaseline.PositionBucket(1, 2, ref.length, Map.of("p99.9", q))));
        ReconErrorDetector d = new ReconErrorDetector("p99.9", 1.0, 4.0);
        double t = d.threshold(b, 1).value();
        int alarms = 0, n = 10_000;
        for (int i = 0; i < n; i++) {
            double e = values[r.nextInt(values.length)] * (1 + 5e-4 * (2 * r.nextDouble() - 1));
            if (d.fires(e, t)) alarms++;
        }
        assertEquals(0, alarms);
        assertTrue(d.fires(0.155, t), "an unseen first token's error (0.155, an other-language prompt in the demo) still fires");
    }

    private static double error(Random r, int position) {
        return Math.exp(-4 + 0.2 * position + 0.5 * r.nextGaussian());
    }

    @Test
    void rareLatentsAreThoseBelowEpsilonThatFire() {
        float[] f = {0.2f, 0f, 5e-5f, 0.01f};
        RareLatentDetector d = new RareLatentDetector(1e-4, 0.1);
        List<RareLatentDetector.Hit> hits = d.hits(List.of(0, 1, 2, 3), List.of(1f, 0.5f, 0.05f, 2f), f);
        assertEquals(1, hits.size()); // latent 2 is rare but below the minimum activation
        assertEquals(1, hits.get(0).latent());
    }

    @Test
    void thresholdsCalibratedForAnSaeVersionReplaceTheConfiguredOnes() {
        Map<String, Double> q = Map.of("p99", 0.2, "p99.9", 0.5);
        SaeBaseline b = new SaeBaseline(1000, 0.1, 0.1, 8, new float[] {0.5f, 1e-5f}, q, new double[] {1e-5, 10}, new long[] {1000},
                List.of(new SaeBaseline.PositionBucket(3, 4, 200, Map.of("p99", 0.1, "p99.9", 0.3))));
        ReconErrorDetector d = new ReconErrorDetector("p99.9", 1.0, 4.0);
        DetectorThresholds t = new DetectorThresholds(0.01, 4, 250, Map.of(DetectorThresholds.RECON_MARGIN, 1.5,
                DetectorThresholds.RARE_EPSILON, 1e-3), Map.of(), new float[] {0.2f, 5e-4f}, 10_000);
        // Calibrated: the bucket's p99 x the version's margin, and the rule says so.
        ReconErrorDetector.Threshold at3 = d.threshold(b, 3, t);
        assertEquals(0.15, at3.value(), 1e-12);
        assertEquals("position 3", at3.scope());
        assertTrue(at3.rule().contains("false-alarm rate 0.01 per request"), at3.rule());
        assertEquals(0.3, d.threshold(b, 9, t).value(), 1e-12); // no bucket: global p99 x margin
        // Without calibrated thresholds: the configured quantile x margin.
        assertEquals(0.3, d.threshold(b, 3, null).value(), 1e-12);
        // Rare latent with the version's epsilon and training-set frequencies: latent 1 (5e-4 < 1e-3) is rare.
        RareLatentDetector rare = new RareLatentDetector(1e-4, 0);
        assertEquals(1, rare.hits(List.of(0, 1), List.of(1f, 1f), t.latentFrequency(), t.get(DetectorThresholds.RARE_EPSILON)).size());
        assertTrue(rare.hits(List.of(0, 1), List.of(1f, 1f), t.latentFrequency()).isEmpty(), "the configured 1e-4 finds none");
        // Activation norm against a version's reference: |z| = |3 - 1| / 0.5 = 4 > 3.5.
        ActivationNormDetector norm = ActivationNormDetector.defaults();
        ActivationNormDetector.Verdict v = norm.evaluate(1.0, 0.5, 3.5, new float[] {3f});
        assertTrue(v.alert());
        assertEquals(4.0, v.z(), 1e-12);
        assertFalse(norm.evaluate(1.0, 0.5, 3.5, new float[] {2.5f}).alert());
    }
}
