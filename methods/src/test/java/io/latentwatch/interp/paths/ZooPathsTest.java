package io.latentwatch.interp.paths;

import io.latentwatch.interp.circuits.AttentionScores;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.successor.OrdinalTask;
import io.latentwatch.interp.successor.OvCircuit;
import io.latentwatch.interp.successor.ShuffledBaseline;
import io.latentwatch.interp.successor.SuccessionScores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The zoo's planted mechanisms, found by path patching and the successor score, against the zoo's own ablation ground truth. */
class ZooPathsTest {
    static final Path ZOO = Path.of("../models/zoo-small");
    static HookedTransformer zoo;
    static JsonNode circuits;

    @BeforeAll
    static void load() throws Exception {
        assertTrue(Files.isDirectory(ZOO), "models/zoo-small is committed on this branch");
        zoo = HookedTransformer.load(ZOO, null);
        circuits = new ObjectMapper().readTree(ZOO.resolve("circuits.json").toFile());
    }

    @AfterAll
    static void close() { zoo.close(); }

    static Set<String> groundTruth(String task, String role) {
        Set<String> s = new HashSet<>();
        for (JsonNode h : circuits.at("/tasks/" + task + "/heads"))
            if (role == null || h.get("role").asText().equals(role)) s.add("L" + h.get("layer").asInt() + "H" + h.get("head").asInt());
        return s;
    }

    @Test
    void inductionHeadsAndTheirKCompositionAreLocalised() {
        int n = 8;
        PatchingTask task = TaskBuilders.induction(zoo.config().bosId(), TaskBuilders.ordinaryTokens(zoo.tokenizer(), zoo.config().vocabSize()), n, 8, 5);
        PathPatcher pp = new PathPatcher(zoo, task);
        AttentionScores sc = AttentionScores.fromTraces(pp.math(), pp.cleanTraces(), n, true);
        List<Component> ih = PathAnalyses.pick(sc.induction(), 1, zoo.config().nLayers(), 1);
        assertTrue(groundTruth("induction", "induction").contains(ih.get(0).toString()), "attention picks " + ih + ", ablation " + groundTruth("induction", null));
        List<Component> pt = PathAnalyses.pick(sc.previousToken(), 0, 1, 1);
        assertTrue(groundTruth("induction", "previous_token").contains(pt.get(0).toString()));
        Component i = ih.get(0), p = pt.get(0);
        List<CircuitPath> kOnly = CircuitPath.compose("embed -> " + p + ".v -> " + i + ".k", CircuitPath.exits(i, zoo.config(), false));
        List<CircuitPath> vOnly = CircuitPath.compose("embed -> " + i + ".v", CircuitPath.exits(i, zoo.config(), false));
        List<CircuitPath> both = new ArrayList<>(kOnly);
        both.addAll(vOnly);
        PatchingResult naive = pp.evaluate(new Hypothesis("naive", both));
        // attending to the right place (K) without the token to copy (V), or the token without the place, explains far less
        assertTrue(naive.proportionExplained() > pp.evaluate(new Hypothesis("k", kOnly)).proportionExplained() + 0.2);
        assertTrue(naive.proportionExplained() > pp.evaluate(new Hypothesis("v", vOnly)).proportionExplained() + 0.2);
        PatchingResult refined = pp.evaluate(new Hypothesis("refined", CircuitPath.compose(i.toString(), CircuitPath.exits(i, zoo.config(), false))));
        assertTrue(naive.proportionExplained() > 0.3, "K-composition through the previous-token head plus copying: " + naive.proportionExplained());
        assertTrue(refined.proportionExplained() > naive.proportionExplained() && refined.proportionExplained() > 0.5, "refined " + refined.proportionExplained());
        // the same head's key input from the previous-token head beats every other layer-0 head's
        SweepResult s = pp.sweep(i);
        double[][] k = s.headMatrix(Port.K);
        for (int h = 0; h < zoo.config().nHeads(); h++) if (h != p.head()) assertTrue(k[0][p.head()] > k[0][h]);
    }

    @Test
    void ioiPairsPutTheNamesInTheirSlotsAndTheMoverIsTheAblationHead() {
        PatchingTask t = TaskBuilders.ioi(zoo.tokenizer(), TaskBuilders.zooTemplate(), 12, 3);
        assertEquals(12, t.pairs().size());
        for (PromptPair p : t.pairs()) {
            int[] slots = PathAnalyses.nameSlots(p);
            assertEquals(p.answers()[0], p.clean()[slots[0]]);                                   // IO
            assertEquals(p.wrongs()[0], p.clean()[slots[1]]);                                    // S1
            assertEquals(p.wrongs()[0], p.clean()[slots[2]]);                                    // S2
            assertEquals("to", zoo.tokenizer().tokenString(p.clean()[p.clean().length - 1]).trim());
            for (int s : slots) assertNotEquals(p.clean()[s], p.reference()[s]);                  // ABC: every name replaced
        }
        PathPatcher pp = new PathPatcher(zoo, t);
        double best = Double.NEGATIVE_INFINITY;
        String bestHead = null;
        for (int l = 0; l < zoo.config().nLayers(); l++)
            for (int h = 0; h < zoo.config().nHeads(); h++) {
                Component x = Component.head(l, h);
                double v = pp.evaluate(new Hypothesis(x.toString(), CircuitPath.compose(x.toString(), CircuitPath.exits(x, zoo.config(), false)))).proportionExplained();
                if (v > best) { best = v; bestHead = x.toString(); }
            }
        assertTrue(groundTruth("ioi", null).contains(bestHead), bestHead + " vs " + groundTruth("ioi", null));
        assertTrue(best > 0.3, "best head explains " + best);
    }

    @Test
    void plantedSuccessionIsFoundFarAboveARandomInitModel() {
        List<OrdinalTask> tasks = OrdinalTask.find(zoo.tokenizer(), zoo.config().vocabSize());
        assertTrue(tasks.size() >= 4, "numbers, number words, weekdays, months, letters: " + tasks.stream().map(OrdinalTask::name).toList());
        var w = zoo.params().toWeights();
        SuccessionScores s = SuccessionScores.compute(new OvCircuit(new ComponentMath(w)), tasks);
        SuccessionScores r = SuccessionScores.compute(new OvCircuit(new ComponentMath(ShuffledBaseline.randomLike(w, 99))), tasks);
        double best = s.pooled()[s.best()[0]][s.best()[1]], rnd = r.pooled()[r.best()[0]][r.best()[1]];
        assertTrue(best > 0.2 && best > 4 * rnd, "best " + best + " vs random-init " + rnd);
        // the top head is one the zoo's own ablation study (circuits.json) credits with succession
        assertTrue(groundTruth("succession", null).contains("L" + s.best()[0] + "H" + s.best()[1]), "top " + Arrays.toString(s.best()));
    }
}
