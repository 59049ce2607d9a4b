package io.latentwatch.interp.calibrate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FalseAlarmCalibrationTest {

    /** Rows of texts of 10-40 tokens with heavy-tailed scores; request = k random rows of one text. */
    private static double[][] texts(int n, long seed) {
        Random r = new Random(seed);
        double[][] t = new double[n][];
        for (int i = 0; i < n; i++) {
            t[i] = new double[10 + r.nextInt(31)];
            for (int j = 0; j < t[i].length; j++) t[i][j] = Math.exp(r.nextGaussian());
        }
        return t;
    }

    @Test
    void aThresholdAtTheRequestMaximumQuantileFlagsTheTargetShareOfHeldOutRequests() {
        double[][] ref = texts(3000, 1);
        int rows = 0;
        for (double[] t : ref) rows += t.length;
        double[] score = new double[rows];
        int[] request = new int[rows];
        for (int i = 0, r = 0; i < ref.length; i++) for (double v : ref[i]) { score[r] = v; request[r++] = i; }
        List<int[]> draws = FalseAlarmCalibration.draws(request, 4, 7);
        assertEquals(3000 * FalseAlarmCalibration.DRAWS, draws.size());
        double t = FalseAlarmCalibration.upper(FalseAlarmCalibration.requestMax(score, draws), 0.01);

        // Held-out requests, sampled as a node does (4 random positions): about 1% exceed it.
        double[][] held = texts(20_000, 2);
        Random r = new Random(3);
        int flagged = 0;
        for (double[] x : held) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 4; j++) max = Math.max(max, x[r.nextInt(x.length)]);
            if (max > t) flagged++;
        }
        double far = flagged / 20_000.0;
        assertTrue(far > 0.006 && far < 0.016, "held-out false-alarm rate " + far);

        // The per-sample p99 would flag several times as many requests: why the request is the unit.
        double perSample = FalseAlarmCalibration.upper(score, 0.01);
        assertTrue(perSample < t, perSample + " vs " + t);
    }

    @Test
    void lowerScoresUseTheMinimumAndTheLowerQuantile() {
        double[] score = {0.5, 0.1, 0.9, 0.3};
        int[] request = {0, 0, 1, 1};
        List<int[]> all = FalseAlarmCalibration.draws(request, 2, 1); // k >= rows: every row of the text
        double[] min = FalseAlarmCalibration.requestMin(score, all);
        assertEquals(0.1, min[0]);
        assertEquals(0.3, min[FalseAlarmCalibration.DRAWS]);
        assertEquals(0.1 + 0.5 * 0.2, FalseAlarmCalibration.lower(new double[] {0.1, 0.3}, 0.5), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> FalseAlarmCalibration.upper(score, 0));
        assertThrows(IllegalArgumentException.class, () -> FalseAlarmCalibration.upper(new double[0], 0.01));
    }

    @Test
    void thresholdsRoundTripThroughTheArtifactFileAndTheVersionRecordsMap(@TempDir Path dir) throws Exception {
        float[] freq = DetectorThresholds.smoothedFrequency(new long[] {0, 9, 99}, 99);
        assertArrayEquals(new float[] {0.005f, 0.095f, 0.995f}, freq, 1e-6f);
        DetectorThresholds t = new DetectorThresholds(0.01, 4, 250, Map.of(DetectorThresholds.RECON_MARGIN, 1.7,
                DetectorThresholds.RARE_EPSILON, 2e-4), Map.of("recon-error", 0.01), freq, 99);
        assertNull(DetectorThresholds.readIfPresent(dir));
        t.write(dir);
        DetectorThresholds back = DetectorThresholds.readIfPresent(dir);
        assertEquals(t.values(), back.values());
        assertEquals(t.measured(), back.measured());
        assertArrayEquals(freq, back.latentFrequency());
        assertEquals(99, back.frequencyRows());
        DetectorThresholds fromMap = DetectorThresholds.fromMap(t.asMap());
        assertEquals(t.values(), fromMap.values());
        assertEquals(0.01, fromMap.falseAlarmRate());
        assertEquals(4, fromMap.samplesPerRequest());
        assertNull(DetectorThresholds.fromMap(Map.of()));
    }

    /** The bound of "k false alarms in n requests": exact for 0 (rule of three), Wilson otherwise; checked against known values. */
    @Test
    void upperBoundOfAMeasuredRate() {
        assertEquals(1 - Math.pow(0.05, 1 / 2000.0), FalseAlarmCalibration.upperBound95(0, 2000), 1e-12);
        assertEquals(3.0 / 2000, FalseAlarmCalibration.upperBound95(0, 2000), 5e-6); // rule of three: -ln(0.05) = 2.996 ~ 3
        // Wilson, z = 1.645: 4 of 389 = 0.0103 observed, bound 0.0227 (the formula evaluated independently).
        double p = 4 / 389.0, z = 1.6448536269514722, n = 389;
        double expected = (p + z * z / (2 * n) + z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n);
        assertEquals(expected, FalseAlarmCalibration.upperBound95(4, 389), 1e-12);
        assertEquals(0.0227, FalseAlarmCalibration.upperBound95(4, 389), 1e-4);
        assertTrue(FalseAlarmCalibration.upperBound95(4, 389) > 4 / 389.0);
        assertTrue(FalseAlarmCalibration.upperBound95(40, 3890) < FalseAlarmCalibration.upperBound95(4, 389), "more requests, tighter bound");
        assertEquals(1.0, FalseAlarmCalibration.upperBound95(5, 5), 1e-12);
    }
}
