package io.latentwatch.interp.circuits;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RocAucTest {
    /** P(score_pos > score_neg) + 0.5 P(tie), over every positive/negative pair: the definition, by brute force. */
    static double bruteForce(double[] s, boolean[] y) {
        double num = 0;
        long pairs = 0;
        for (int i = 0; i < s.length; i++) {
            if (!y[i]) continue;
            for (int j = 0; j < s.length; j++) {
                if (y[j]) continue;
                pairs++;
                num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
        }
        return num / pairs;
    }

    @Test
    void rankAucEqualsPairwiseCountWithTies() {
        Random r = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 2 + r.nextInt(60);
            double[] s = new double[n];
            boolean[] y = new boolean[n];
            for (int i = 0; i < n; i++) {
                s[i] = r.nextInt(1 + r.nextInt(8));          // few distinct values: many ties
                y[i] = r.nextBoolean();
            }
            y[0] = true;
            y[1] = false;
            assertEquals(bruteForce(s, y), RocAuc.auc(s, y), 1e-12, "trial " + trial);
        }
    }

    @Test
    void knownValues() {
        assertEquals(1.0, RocAuc.auc(new double[] {3, 2, 1, 0}, new boolean[] {true, true, false, false}));
        assertEquals(0.0, RocAuc.auc(new double[] {0, 1, 2, 3}, new boolean[] {true, true, false, false}));
        assertEquals(0.5, RocAuc.auc(new double[] {1, 1, 1, 1}, new boolean[] {true, true, false, false}));
        assertEquals(0.75, RocAuc.auc(new double[] {4, 2, 3, 1}, new boolean[] {true, true, false, false}));
        assertTrue(Double.isNaN(RocAuc.auc(new double[] {1, 2}, new boolean[] {true, true})));
        assertThrows(IllegalArgumentException.class, () -> RocAuc.auc(new double[] {1}, new boolean[] {true, false}));
    }

    @Test
    void rocCurveAreaEqualsAuc() {
        Random r = new Random(5);
        double[] s = new double[40];
        boolean[] y = new boolean[40];
        for (int i = 0; i < 40; i++) { y[i] = i % 3 == 0; s[i] = r.nextInt(10) + (y[i] ? 2 : 0); }
        double[][] c = RocAuc.curve(s, y);
        double area = 0;
        for (int i = 1; i < c.length; i++) area += (c[i][0] - c[i - 1][0]) * (c[i][1] + c[i - 1][1]) / 2;
        assertEquals(RocAuc.auc(s, y), area, 1e-12, "trapezoid area under the ROC points");
    }

    @Test
    void bestF1() {
        // scores 5,4,3,2,1 with labels T,F,T,F,F: threshold 3 → TP 2, FP 1, FN 0 → P 2/3, R 1, F1 0.8
        RocAuc.Threshold t = RocAuc.bestF1(new double[] {5, 4, 3, 2, 1}, new boolean[] {true, false, true, false, false});
        assertEquals(3, t.threshold());
        assertEquals(2.0 / 3, t.precision(), 1e-12);
        assertEquals(1.0, t.recall(), 1e-12);
        assertEquals(0.8, t.f1(), 1e-12);
    }
}
