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
                new HeadCode(1, 3, List.of(7, 9), 0.9, List.of()), new HeadCode(2, 0, List.of(4), 0.8, List.of()), new HeadCode(2, 5, List.of(11), 0.5, List.of()))).build();
    }

    @Test
    void matchesWhenEnoughHeadsShowAPositiveOnlyCode() {
        int[] l1 = new int[8], l2 = new int[8];
        l1[3] = 9;
        l2[0] = 4;
        List<CircuitMatcher.Match> m = CircuitMatcher.matchCodes(List.of(induction()), Map.of(1, l1, 2, l2));
        assertEquals(1, m.size());
        assertEquals(2, m.get(0).matchedHeads());
        assertEquals(List.of("L1H3=9", "L2H0=4"), m.get(0).matched());
        l2[0] = 5;
        assertTrue(CircuitMatcher.matchCodes(List.of(induction()), Map.of(1, l1, 2, l2)).isEmpty());
        // A layer that was not sampled cannot match.
        assertTrue(CircuitMatcher.matchCodes(List.of(induction()), Map.of(1, l1)).isEmpty());
    }

    @Test
    void aScoredSignatureMatchesOnTheWeightedHeadOutputsNotOnCodes() {
        // Two heads of layer 1 (d_model 2) weighted towards (1, 0) and (0, 1); threshold 1.0.
        CircuitSignature s = CircuitSignature.newBuilder().setName("succession").setMinMatchedHeads(1).setScoreThreshold(1.0)
                .setFalseAlarmRate(0.01).setHeads(List.of(
                        new HeadCode(1, 0, List.of(), 0.2, List.of(1f, 0f)), new HeadCode(1, 1, List.of(), 0.9, List.of(0f, 1f)))).build();
        int[] codes = {-1, -1, 3};
        // heads 0, 1, 2 outputs [3, 2]: 0.6 + 0.6 = 1.2 > 1.0
        float[] out = {0.6f, 5f, 9f, 0.6f, 7f, 7f};
        List<CircuitMatcher.Match> m = CircuitMatcher.match(List.of(s), Map.of(1, new CircuitMatcher.HeadLatents(codes, out)));
        assertEquals(1, m.size());
        assertTrue(m.get(0).scored());
        assertEquals(1.2, m.get(0).score(), 1e-6);
        assertEquals(1.0, m.get(0).threshold());
        assertTrue(m.get(0).describe().startsWith("per-head score 1.200 above 1.000"), m.get(0).describe());
        out[0] = 0.3f; // 0.3 + 0.6 = 0.9: below
        assertTrue(CircuitMatcher.match(List.of(s), Map.of(1, new CircuitMatcher.HeadLatents(codes, out))).isEmpty());
        // Without head outputs (codes only) the scored signature falls back to its codes: none here, no match.
        assertTrue(CircuitMatcher.matchCodes(List.of(s), Map.of(1, codes)).isEmpty());
    }
}
