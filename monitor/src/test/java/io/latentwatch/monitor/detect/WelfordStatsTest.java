package io.latentwatch.monitor.detect;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WelfordStatsTest {
    @Test
    void matchesTwoPassMeanAndVarianceEvenWithALargeOffset() {
        Random r = new Random(3);
        double[] x = new double[5000];
        // A large common offset is where the naive sum-of-squares formula loses all precision.
        for (int i = 0; i < x.length; i++) x[i] = 1e8 + r.nextGaussian() * 0.5;
        WelfordStats s = WelfordStats.EMPTY;
        for (double v : x) s = s.add(v);
        double mean = 0;
        for (double v : x) mean += v;
        mean /= x.length;
        double ss = 0;
        for (double v : x) ss += (v - mean) * (v - mean);
        double var = ss / (x.length - 1);
        assertEquals(x.length, s.count());
        assertEquals(mean, s.mean(), 1e-6);
        assertEquals(var, s.variance(), var * 1e-6);
    }

    @Test
    void smallCountsAndByteRoundTrip() {
        assertEquals(0, WelfordStats.EMPTY.variance());
        WelfordStats one = WelfordStats.EMPTY.add(4);
        assertEquals(0, one.variance());
        WelfordStats three = one.add(6).add(8); // mean 6, sample variance ((4)+(0)+(4))/2 = 4
        assertEquals(6, three.mean(), 1e-12);
        assertEquals(4, three.variance(), 1e-12);
        assertEquals(three, WelfordStats.fromBytes(three.toBytes()));
    }
}
