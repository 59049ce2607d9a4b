package io.latentwatch.interp.reference;

import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Sampler;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The runtime's sampler draws from the distribution the definitions give: softmax(logits / T),
 * restricted to the k most likely tokens, then to the smallest most-likely set whose probability
 * reaches p (Holtzman et al. 2019; the token crossing p is kept), renormalised. Frequencies of
 * 40,000 seeded draws are compared with that distribution computed here in double precision.
 */
class SamplerDistributionTest {
    static final float[] LOGITS = {1.0f, 2.5f, -0.5f, 2.0f, 0.3f, 1.7f, -2.0f};
    static final int N = 40_000;

    static double[] reference(float[] logits, double temperature, int topK, double topP) {
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l / temperature);
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) { p[i] = Math.exp(logits[i] / temperature - max); sum += p[i]; }
        for (int i = 0; i < n; i++) p[i] /= sum;
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(i -> -p[i])).toArray(Integer[]::new);
        boolean[] keep = new boolean[n];
        int k = topK == 0 ? n : Math.min(topK, n);
        double kept = 0;
        for (int r = 0; r < k; r++) kept += p[order[r]];
        double cum = 0;
        for (int r = 0; r < k; r++) {
            keep[order[r]] = true;
            cum += p[order[r]] / kept;
            if (cum >= topP) break;
        }
        double z = 0;
        for (int i = 0; i < n; i++) if (keep[i]) z += p[i];
        double[] q = new double[n];
        for (int i = 0; i < n; i++) q[i] = keep[i] ? p[i] / z : 0;
        return q;
    }

    static double[] frequencies(float temperature, int topK, float topP, long seed) {
        Sampler s = new Sampler(GenerationConfig.sampling(1, temperature, topK, topP, seed));
        double[] f = new double[LOGITS.length];
        for (int i = 0; i < N; i++) f[s.next(LOGITS.clone())] += 1.0 / N;
        return f;
    }

    static void check(float temperature, int topK, float topP) {
        double[] want = reference(LOGITS, temperature, topK, topP);
        double[] got = frequencies(temperature, topK, topP, 42);
        for (int i = 0; i < want.length; i++) {
            if (want[i] == 0) assertEquals(0.0, got[i], "T " + temperature + " k " + topK + " p " + topP + ": token " + i + " must be excluded");
            // 5 standard deviations of a frequency from 40,000 draws
            else assertEquals(want[i], got[i], 5 * Math.sqrt(want[i] * (1 - want[i]) / N) + 1e-3,
                    "T " + temperature + " k " + topK + " p " + topP + ": token " + i + " want " + Arrays.toString(want) + " got " + Arrays.toString(got));
        }
    }

    @Test
    void temperatureOnly() { check(1.0f, 0, 1.0f); check(0.5f, 0, 1.0f); check(2.0f, 0, 1.0f); }

    @Test
    void topK() { check(1.0f, 3, 1.0f); check(0.8f, 1, 1.0f); }

    @Test
    void topP() { check(1.0f, 0, 0.6f); check(1.0f, 0, 0.9f); }

    @Test
    void topKThenTopP() { check(0.7f, 4, 0.8f); }

    @Test
    void sameSeedSameDraws() {
        assertArrayEquals(frequencies(1.0f, 0, 1.0f, 7), frequencies(1.0f, 0, 1.0f, 7));
        assertFalse(Arrays.equals(frequencies(1.0f, 0, 1.0f, 7), frequencies(1.0f, 0, 1.0f, 8)));
    }
}
