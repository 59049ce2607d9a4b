package io.latentwatch.interp.zoo;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed circuits.json ground truth is confirmed by activation patching: every listed head,
 * mean-ablated alone, removes at least the threshold share of its task's behaviour, and heads not
 * listed do not; the roles agree with the attention patterns.
 */
class ZooCircuitsTest {
    @ParameterizedTest
    @ValueSource(strings = {"zoo-small", "zoo-base"})
    void listedHeadsAreConfirmedByMeanAblation(String name) throws Exception {
        JsonNode c = new ObjectMapper().readTree(ZooModels.dir(name).resolve("circuits.json").toFile());
        double threshold = c.get("threshold").asDouble();
        assertTrue(threshold >= 0.05, "a threshold that means something");
        try (NDManager nm = NDManager.newBaseManager(); ZooLlama m = ZooLlama.load(ZooModels.dir(name), nm)) {
            for (ZooCircuits.Task t : ZooCircuits.tasks(m)) {
                JsonNode tn = c.get("tasks").get(t.name());
                assertNotNull(tn, "task " + t.name() + " in circuits.json");
                List<int[]> listed = new ArrayList<>();
                tn.get("heads").forEach(h -> listed.add(new int[] {h.get("layer").asInt(), h.get("head").asInt()}));
                if (!t.name().equals("greater_than")) assertFalse(listed.isEmpty(), t.name() + " has ground-truth heads");
                double clean = t.score().applyAsDouble(ZooLlama.NO_HOOKS);
                double all = t.score().applyAsDouble(ZooCircuits.meanAblate(m, ZooCircuits.allHeads(m.config())));
                assertTrue(clean > all, t.name() + ": ablating every head must hurt (" + clean + " vs " + all + ")");
                for (int[] h : listed) {
                    double ablated = t.score().applyAsDouble(ZooCircuits.meanAblate(m, Set.of(h[0] * 1000 + h[1])));
                    double effect = (clean - ablated) / (clean - all);
                    assertTrue(effect >= threshold, name + " " + t.name() + " L" + h[0] + "H" + h[1] + " effect " + effect);
                }
                // the listed set is the whole circuit at this threshold: the most harmful unlisted head stays below it
                for (int l = 0; l < m.config().numLayers(); l++)
                    for (int h = 0; h < m.config().numHeads(); h++) {
                        int L = l, H = h;
                        if (listed.stream().anyMatch(x -> x[0] == L && x[1] == H)) continue;
                        double e = (clean - t.score().applyAsDouble(ZooCircuits.meanAblate(m, Set.of(l * 1000 + h)))) / (clean - all);
                        assertTrue(e < threshold, name + " " + t.name() + " unlisted L" + l + "H" + h + " effect " + e);
                    }
            }
            // induction needs a previous-token head feeding an induction head in a later layer (K-composition)
            double[][][] att = ZooCircuits.attentionScores(m);
            JsonNode heads = c.get("tasks").get("induction").get("heads");
            int firstInduction = Integer.MAX_VALUE, firstPrev = Integer.MAX_VALUE;
            for (JsonNode h : heads) {
                int l = h.get("layer").asInt(), hh = h.get("head").asInt();
                if (h.get("role").asText().equals("induction")) { firstInduction = Math.min(firstInduction, l); assertTrue(att[1][l][hh] >= 0.3); }
                if (h.get("role").asText().equals("previous_token")) { firstPrev = Math.min(firstPrev, l); assertTrue(att[0][l][hh] >= 0.3); }
            }
            assertTrue(firstInduction < Integer.MAX_VALUE, "an induction head is listed");
            assertTrue(firstPrev < firstInduction, "a previous-token head sits below the first induction head");
        }
    }
}
