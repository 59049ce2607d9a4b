package io.latentwatch.monitor.detect;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class BenjaminiHochbergTest {
    @Test
    void adjustsLikeRsPAdjust() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH") = 0.025 0.05 0.05 0.025 0.5
        double[] p = {0.01, 0.04, 0.03, 0.005, 0.5};
        assertArrayEquals(new double[] {0.025, 0.05, 0.05, 0.025, 0.5}, BenjaminiHochberg.adjust(p), 1e-12);
        assertArrayEquals(new boolean[] {true, false, false, true, false}, BenjaminiHochberg.reject(p, 0.04));
        assertArrayEquals(new boolean[] {true, true, true, true, false}, BenjaminiHochberg.reject(p, 0.05));
    }

    @Test
    void stepUpRejectsEverythingBelowTheLargestPassingRank() {
        // p_(3) = 0.029 <= 3*0.05/4 = 0.0375 passes although p_(2) = 0.028 > 2*0.05/4 = 0.025 alone would not.
        double[] p = {0.001, 0.028, 0.029, 0.9};
        assertArrayEquals(new boolean[] {true, true, true, false}, BenjaminiHochberg.reject(p, 0.05));
    }
}
