package io.latentwatch.monitor.detect;

import org.junit.jupiter.api.Test;

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
    void rareLatentsAreThoseBelowEpsilonThatFire() {
        float[] f = {0.2f, 0f, 5e-5f, 0.01f};
        RareLatentDetector d = new RareLatentDetector(1e-4, 0.1);
        List<RareLatentDetector.Hit> hits = d.hits(List.of(0, 1, 2, 3), List.of(1f, 0.5f, 0.05f, 2f), f);
        assertEquals(1, hits.size()); // latent 2 is rare but below the minimum activation
        assertEquals(1, hits.get(0).latent());
    }
}
