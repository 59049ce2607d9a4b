package io.latentwatch.interp.circuits;

import static org.junit.jupiter.api.Assertions.*;

import io.latentwatch.interp.model.HookedTransformer;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The attention-pattern scorer agrees with the zoo's own measurement (circuits.json attention_scores, computed by ZooCircuits on its own forward). */
class AttentionScoresTest {
    @Test
    void zooSmallPreviousTokenAndInductionHeads() throws Exception {
        Path dir = Path.of("../models/zoo-small");
        try (HookedTransformer m = HookedTransformer.load(dir, dir.resolve("tokenizer.json"))) {
            AttentionScores s = AttentionScores.measure(m, 16, 10, 4, 1);
            // circuits.json: previous_token L0H0 0.80 (the max), induction L1H3 0.67 and L1H2 0.51 (the two largest)
            assertEquals(new HeadId(0, 0), argmax(s.previousToken()));
            assertEquals(new HeadId(1, 3), argmax(s.induction()));
            assertEquals(0.80, s.previousToken()[0][0], 0.15);
            assertEquals(0.67, s.induction()[1][3], 0.15);
            Set<HeadId> c = s.inductionCircuit(0.3, 0.5);
            assertTrue(c.containsAll(Set.of(new HeadId(0, 0), new HeadId(1, 3))), c.toString());
        }
    }

    static HeadId argmax(double[][] v) {
        HeadId best = null;
        double b = -1;
        for (int l = 0; l < v.length; l++) for (int h = 0; h < v[l].length; h++) if (v[l][h] > b) { b = v[l][h]; best = new HeadId(l, h); }
        return best;
    }
}
