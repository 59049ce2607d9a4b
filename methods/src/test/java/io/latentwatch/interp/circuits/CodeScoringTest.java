package io.latentwatch.interp.circuits;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Node and edge scores on a hand-made code table whose answer is worked out in the comments. */
class CodeScoringTest {
    // 2 layers x 2 heads (flat 0=L0H0, 1=L0H1, 2=L1H0, 3=L1H1); 2 positive + 2 negative examples, 2 positions.
    // L0H0: always code 1 everywhere                      → no positive-only code, share 0
    // L0H1: positives {5,5},{5,6}; negatives {6,6},{6,6} → positive-only {5}, share 3/4
    // L1H0: positives {7,8},{9,7}; negatives {7,7},{7,7} → positive-only {8,9}, share 2/4
    // L1H1: positives {2,2},{2,2}; negatives {2,3},{2,2} → none (3 is negative-only), share 0
    static CodeTable table() {
        int[][][] c = {
                {{1, 5, 7, 2}, {1, 5, 8, 2}},
                {{1, 5, 9, 2}, {1, 6, 7, 2}},
                {{1, 6, 7, 2}, {1, 6, 7, 3}},
                {{1, 6, 7, 2}, {1, 6, 7, 2}},
        };
        return new CodeTable(c, new boolean[] {true, true, false, false});
    }

    @Test
    void nodeScoresMatchTheHandCount() {
        List<CodeScoring.NodeScore> n = CodeScoring.nodes(table(), 2);
        assertEquals(new HeadId(0, 1), n.get(1).head());
        assertEquals(0, n.get(0).positiveOnlyCodes());
        assertEquals(0.0, n.get(0).share());
        assertEquals(1, n.get(1).positiveOnlyCodes());
        assertEquals(List.of(5), n.get(1).codes());
        assertEquals(0.75, n.get(1).share(), 1e-12);
        assertEquals(2, n.get(2).positiveOnlyCodes());
        assertEquals(List.of(8, 9), n.get(2).codes());
        assertEquals(0.5, n.get(2).share(), 1e-12);
        assertEquals(0, n.get(3).positiveOnlyCodes());
    }

    @Test
    void edgeScoresMatchTheHandCount() {
        List<CodeScoring.EdgeScore> e = CodeScoring.edges(table(), 2);
        assertEquals(6, e.size(), "4 heads → 6 unordered pairs");
        // (L0H1, L1H0): positive cells (5,7) (5,8) (5,9) (6,7); negatives only (6,7) → 3 positive-only pairs, share 3/4
        CodeScoring.EdgeScore e12 = e.stream().filter(x -> x.from().equals(new HeadId(0, 1)) && x.to().equals(new HeadId(1, 0))).findFirst().orElseThrow();
        assertEquals(3, e12.positiveOnlyPairs());
        assertEquals(0.75, e12.share(), 1e-12);
        // (L0H0, L1H1): positives (1,2) only; negatives have (1,2) too → 0
        CodeScoring.EdgeScore e03 = e.stream().filter(x -> x.from().equals(new HeadId(0, 0)) && x.to().equals(new HeadId(1, 1))).findFirst().orElseThrow();
        assertEquals(0, e03.positiveOnlyPairs());
    }

    @Test
    void excessShareRemovesChanceLevel() {
        double[] ex = CodeScoring.excessShare(table(), 2, 200, 1);
        assertEquals(0.0, ex[0], 1e-12, "a constant head has share 0 under every labelling");
        assertTrue(ex[1] > 0 && ex[1] < 0.75, "L0H1 is above its shuffled level but below its raw share: " + ex[1]);
    }

    @Test
    void signatureMatchesCodesOfItsHeads() {
        HeadCodeSignature s = new HeadCodeSignature("t", List.of(
                new HeadCodeSignature.HeadCodes(new HeadId(0, 1), new int[] {5}, 0.75),
                new HeadCodeSignature.HeadCodes(new HeadId(1, 0), new int[] {9, 8}, 0.5)), 2);
        assertTrue(s.matches(new int[][] {{1, 5}, {8, 2}}));
        assertEquals(1, s.matchedHeads(new int[][] {{1, 5}, {7, 2}}));
        assertFalse(s.matches(new int[][] {{1, 5}, {7, 2}}));
        assertThrows(IllegalArgumentException.class, () -> new HeadCodeSignature("t", List.of(), 2));
    }

    @Test
    void unequalPositionsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CodeTable(new int[][][] {{{1}}, {{1}, {2}}}, new boolean[] {true, false}));
        assertTrue(e.getMessage().contains("example 1 has 2 positions"), e.getMessage());
    }
}
