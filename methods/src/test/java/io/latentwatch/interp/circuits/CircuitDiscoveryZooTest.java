package io.latentwatch.interp.circuits;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * O'Neill & Bui discovery on zoo-small from 10 positive + 10 negative prompts of its circuits.json,
 * scored against the heads that mean ablation confirmed. Kept short (fewer SAE steps than the CLI's 400).
 * Measured node ROC-AUCs (share score) are reported in docs/reports/circuits; on this 8-head model
 * induction reaches 0.50-0.79 over seeds (mean 0.63) and IOI stays below chance (0.17-0.38); see
 * docs/reports/circuits/README.md for why.
 */
class CircuitDiscoveryZooTest {
    static final Path DIR = Path.of("../models/zoo-small");
    static HookedTransformer model;
    static JsonNode circuits;

    @BeforeAll
    static void load() throws Exception {
        model = HookedTransformer.load(DIR, DIR.resolve("tokenizer.json"));
        circuits = new ObjectMapper().readTree(DIR.resolve("circuits.json").toFile());
    }

    @AfterAll
    static void close() { model.close(); }

    static List<int[]> prompts(String task, String kind) {
        List<String> out = new ArrayList<>();
        JsonNode ex = circuits.get("tasks").get(task).get(kind + "_examples");
        for (int i = 0; i < 10; i++) out.add(ex.get(i).asText());
        return CircuitPrompts.tokenize(model, out);
    }

    static CircuitDiscovery.Options quick() { return CircuitDiscovery.Options.defaults().withSteps(200).withSeed(3); }

    @Test
    void inductionHeadsRankAboveTheRest() throws Exception {
        try (CircuitDiscovery.Result r = CircuitDiscovery.run(model, "induction", prompts("induction", "positive"), prompts("induction", "negative"), quick())) {
            CircuitEvaluation ev = CircuitEvaluation.of(r, GroundTruth.fromCircuitsJson(DIR.resolve("circuits.json"), "induction"));
            System.out.printf("zoo-small induction: node AUC %.3f (share) %.3f (count), edge AUC %.3f, %.1f s%n",
                    ev.nodeAucShare(), ev.nodeAucCount(), ev.edgeAuc(), r.secondsTotal());
            // Stated bar: better than chance. Measured 0.58-0.79 over seeds and step counts: below the paper's 0.87.
            assertTrue(ev.nodeAuc() > 0.55, "induction node ROC-AUC " + ev.nodeAuc());
            assertEquals(21, r.positions());
            assertEquals(8, r.nodes().size());
            assertEquals(28, r.edges().size());
            // The evaluation's AUC is the brute-force pairwise AUC of the reported node scores.
            double[] s = new double[8];
            boolean[] y = new boolean[8];
            for (CodeScoring.NodeScore n : r.nodes()) { s[n.head().index(4)] = r.nodeScore(n); y[n.head().index(4)] = ev.truth().contains(n.head()); }
            assertEquals(RocAucTest.bruteForce(s, y), ev.nodeAuc(), 1e-12);
            // Signature heads carry only positive-only codes, so no negative position of the training prompts
            // shows a signature code on any signature head.
            for (int e = 0; e < r.codes().examples(); e++) {
                if (r.codes().positive(e)) continue;
                for (int[] pos : r.codes().example(e)) {
                    int[][] byLayer = {Arrays.copyOfRange(pos, 0, 4), Arrays.copyOfRange(pos, 4, 8)};
                    assertEquals(0, r.signature().matchedHeads(byLayer));
                }
            }
        }
    }

    @Test
    void ioiIsScoredAndReported() throws Exception {
        try (CircuitDiscovery.Result r = CircuitDiscovery.run(model, "ioi", prompts("ioi", "positive"), prompts("ioi", "negative"), quick())) {
            CircuitEvaluation ev = CircuitEvaluation.of(r, GroundTruth.fromCircuitsJson(DIR.resolve("circuits.json"), "ioi"));
            System.out.printf("zoo-small ioi: node AUC %.3f (share) %.3f (count), edge AUC %.3f, norm baseline %.3f, %.1f s%n",
                    ev.nodeAucShare(), ev.nodeAucCount(), ev.edgeAuc(), ev.normAuc(), r.secondsTotal());
            // No bar is claimed for IOI: measured 0.17-0.38 (below chance). Checked here: one edge between the
            // two ground-truth heads, and the monitor's path (HeadCoder on one prompt's hook_z) gives the table's codes.
            assertEquals(1, r.edges().stream().filter(e -> ev.truth().contains(e.from()) && ev.truth().contains(e.to())).count());
            int[] tokens = prompts("ioi", "positive").get(0);
            Tensor z1 = model.runWithCache(tokens, List.of("blocks.1.attn.hook_z")).cache().get("blocks.1.attn.hook_z");
            int[][] codes = r.coder().codes(1, z1);
            for (int p = 0; p < tokens.length; p++) {
                for (int h = 0; h < 4; h++) assertEquals(r.codes().code(0, p, 4 + h), codes[p][h], "position " + p + " head L1H" + h);
            }
        }
    }

    @Test
    void sameSeedSameCircuitAndUnequalLengthsRefused() {
        CircuitDiscovery.Options o = CircuitDiscovery.Options.defaults().withSteps(30).withSeed(11);
        List<int[]> pos = prompts("induction", "positive").subList(0, 3), neg = prompts("induction", "negative").subList(0, 3);
        try (CircuitDiscovery.Result a = CircuitDiscovery.run(model, "x", pos, neg, o);
             CircuitDiscovery.Result b = CircuitDiscovery.run(model, "x", pos, neg, o)) {
            assertEquals(a.codes(), b.codes());
            assertEquals(a.nodes(), b.nodes());
            assertEquals(a.signature(), b.signature());
        }
        List<int[]> bad = new ArrayList<>(neg);
        bad.set(2, Arrays.copyOf(bad.get(2), 19));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CircuitDiscovery.run(model, "x", pos, bad, o));
        assertTrue(e.getMessage().contains("negative prompt 3 has 19 tokens"), e.getMessage());
    }
}
