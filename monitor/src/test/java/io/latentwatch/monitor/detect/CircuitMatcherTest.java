package io.latentwatch.monitor.detect;

import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HeadCode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CircuitMatcherTest {
    static CircuitSignature induction() {
        return CircuitSignature.newBuilder().setName("induction").setMinMatchedHeads(2).setHeads(List.of(
                new HeadCode(1, 3, List.of(7, 9), 0.9), new HeadCode(2, 0, List.of(4), 0.8), new HeadCode(2, 5, List.of(11), 0.5))).build();
    }

    @Test
    void matchesWhenEnoughHeadsShowAPositiveOnlyCode() {
        int[] l1 = new int[8], l2 = new int[8];
        l1[3] = 9;
        l2[0] = 4;
        List<CircuitMatcher.Match> m = CircuitMatcher.match(List.of(induction()), Map.of(1, l1, 2, l2));
        assertEquals(1, m.size());
        assertEquals(2, m.get(0).matchedHeads());
        assertEquals(List.of("L1H3=9", "L2H0=4"), m.get(0).matched());
        l2[0] = 5;
        assertTrue(CircuitMatcher.match(List.of(induction()), Map.of(1, l1, 2, l2)).isEmpty());
        // A layer that was not sampled cannot match.
        assertTrue(CircuitMatcher.match(List.of(induction()), Map.of(1, l1)).isEmpty());
    }
}
