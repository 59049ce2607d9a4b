package io.latentwatch.publisher;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingPolicyTest {
    @Test
    void lastAndAllPositions() {
        SamplingPolicy last = new SamplingPolicy(1.0, Set.of(), SamplingPolicy.Positions.LAST, 1, 0);
        assertArrayEquals(new int[] {9}, last.positions(10));
        SamplingPolicy all = new SamplingPolicy(1.0, Set.of(), SamplingPolicy.Positions.ALL, 1, 0);
        assertArrayEquals(new int[] {0, 1, 2, 3}, all.positions(4));
        assertEquals(0, all.positions(0).length);
    }

    @Test
    void randomKGivesKDistinctSortedPositionsCoveringTheSequenceUniformly() {
        SamplingPolicy p = new SamplingPolicy(1.0, Set.of(), SamplingPolicy.Positions.RANDOM_K, 3, 42);
        int[] hits = new int[10];
        int draws = 20_000;
        for (int t = 0; t < draws; t++) {
            int[] pos = p.positions(10);
            assertEquals(3, pos.length);
            assertEquals(3, Arrays.stream(pos).distinct().count());
            for (int i = 1; i < pos.length; i++) assertTrue(pos[i - 1] < pos[i]);
            for (int x : pos) hits[x]++;
        }
        // Each position is chosen with probability k/n = 0.3; binomial sd = sqrt(n p (1-p)) ~ 65.
        for (int h : hits) assertEquals(draws * 0.3, h, 6 * Math.sqrt(draws * 0.3 * 0.7));
        assertArrayEquals(new int[] {0, 1}, p.positions(2));
    }

    @Test
    void sampleRateIsTheShareOfRequestsSampled() {
        SamplingPolicy p = new SamplingPolicy(0.25, Set.of("blocks.0.hook_resid_post"), SamplingPolicy.Positions.LAST, 1, 7);
        int n = 40_000, sampled = 0;
        for (int i = 0; i < n; i++) if (p.sampleRequest()) sampled++;
        assertEquals(n * 0.25, sampled, 6 * Math.sqrt(n * 0.25 * 0.75));
        assertTrue(p.hookSelected("blocks.0.hook_resid_post"));
        assertFalse(p.hookSelected("blocks.1.hook_resid_post"));
        assertEquals("last", p.metadata().getPositionPolicy());
        assertEquals(0.25, p.metadata().getSampleRate());
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingPolicy(0, Set.of(), SamplingPolicy.Positions.LAST, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingPolicy(1.5, Set.of(), SamplingPolicy.Positions.LAST, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingPolicy(1, Set.of(), SamplingPolicy.Positions.RANDOM_K, 0, 0));
        assertEquals(SamplingPolicy.Positions.RANDOM_K, SamplingPolicy.Positions.parse("random-k"));
    }
}
