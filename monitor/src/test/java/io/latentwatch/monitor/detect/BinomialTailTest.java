package io.latentwatch.monitor.detect;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BinomialTailTest {
    /** Exact reference: sum of C(n,k) p^k (1-p)^(n-k) in BigDecimal. */
    static double exactUpper(int c, int n, double p) { return exactRange(c, n, n, p); }

    static double exactRange(int from, int to, int n, double p) {
        MathContext mc = MathContext.DECIMAL128;
        BigDecimal bp = new BigDecimal(p), bq = BigDecimal.ONE.subtract(bp);
        BigDecimal sum = BigDecimal.ZERO;
        for (int k = from; k <= to; k++) {
            BigInteger choose = BigInteger.ONE;
            for (int i = 0; i < k; i++) choose = choose.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));
            sum = sum.add(new BigDecimal(choose).multiply(bp.pow(k, mc), mc).multiply(bq.pow(n - k, mc), mc), mc);
        }
        return sum.doubleValue();
    }

    @Test
    void matchesTheExactSumForSmallAndLargeWindows() {
        assertEquals(56.0 / 1024, BinomialTail.upper(8, 10, 0.5), 1e-15);
        for (int[] cn : new int[][] {{3, 20}, {0, 7}, {15, 40}, {40, 200}, {1, 300}, {12, 300}}) {
            for (double p : new double[] {1e-4, 0.01, 0.1, 0.37}) {
                double ref = exactUpper(cn[0], cn[1], p);
                assertEquals(ref, BinomialTail.upper(cn[0], cn[1], p), Math.max(1e-300, ref * 1e-9), cn[0] + "/" + cn[1] + " p=" + p);
                double lowerRef = 1 - exactUpper(cn[0] + 1, cn[1], p);
                assertEquals(lowerRef, BinomialTail.lower(cn[0], cn[1], p), 1e-9, "lower " + cn[0] + "/" + cn[1] + " p=" + p);
            }
        }
    }

    @Test
    void staysFiniteWhereTheNaiveProductUnderflows() {
        // (1-0.5)^5000 underflows a double; the log-space sum does not.
        double p = BinomialTail.upper(2600, 5000, 0.5);
        assertEquals(0.00251, p, 2e-4); // normal approximation: z = (2599.5-2500)/35.36 = 2.81 -> 0.0025
        assertEquals(1.0, BinomialTail.upper(0, 5000, 0.5));
        assertEquals(1.0, BinomialTail.twoSided(2500, 5000, 0.5), 0.0);
    }

    @Test
    void oneTableAgreesWithTheExactSumAcrossADriftWindow() {
        int n = 500;
        BinomialTail tail = BinomialTail.forN(n);
        for (double p : new double[] {2e-5, 0.0026, 0.03, 0.2, 0.5, 0.93}) {
            for (int c : new int[] {0, 1, 2, 5, 13, 40, 100, 250, 251, 480, 500}) {
                double up = exactUpper(c, n, p);
                assertEquals(up, tail.upper(c, p), Math.max(1e-300, up * 1e-9), "upper " + c + " p=" + p);
                double lowTail = exactRange(0, c, n, p);
                assertEquals(lowTail, tail.lower(c, p), Math.max(1e-300, lowTail * 1e-9), "lower " + c + " p=" + p);
                double two = Math.min(1, 2 * Math.min(up, lowTail));
                assertEquals(two, tail.twoSided(c, p), Math.max(1e-300, two * 1e-8), "two-sided " + c + " p=" + p);
            }
        }
    }
}
