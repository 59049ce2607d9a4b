package io.latentwatch.interp.paths;

import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class PathPatchingTest {
    @TempDir static Path tmp;
    static HookedTransformer llama, gpt2;

    @BeforeAll
    static void load() throws Exception {
        llama = RandomModels.llama(tmp.resolve("llama"), 5);
        gpt2 = RandomModels.gpt2(tmp.resolve("gpt2"), 6);
    }

    @AfterAll
    static void close() {
        llama.close();
        gpt2.close();
    }

    /** Pairs that differ in the first half; the metric reads the last 3 positions. */
    static PatchingTask task(HookedTransformer m, Metric metric, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int V = m.config().vocabSize(), T = 12;
        List<PromptPair> pairs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] clean = RandomModels.randomTokens(r, T, V);
            int[] ref = clean.clone();
            for (int t = 1; t < T / 2; t++) ref[t] = 1 + r.nextInt(V - 1);
            int[] pos = {T - 3, T - 2, T - 1}, ans = new int[3], wrong = new int[3];
            for (int k = 0; k < 3; k++) { ans[k] = clean[k + 1]; wrong[k] = ref[k + 1] == ans[k] ? (ans[k] % (V - 1)) + 1 : ref[k + 1]; }
            pairs.add(new PromptPair(clean, ref, pos, ans, wrong));
        }
        return new PatchingTask("random", "test", pairs, metric);
    }

    static double maxDiff(float[][] a, float[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
        return m;
    }

    @Test
    void residualDecompositionSumsToTheCachedResidualStream() {
        for (HookedTransformer m : List.of(llama, gpt2)) {
            PathPatcher pp = new PathPatcher(m, task(m, Metric.LOSS, 3, 1));
            ComponentTrace t = pp.cleanTraces().get(0);
            for (Component c : Component.all(m.config())) {
                if (c.kind() == Component.Kind.EMBED) continue;
                double d = maxDiff(t.decompose(pp.math(), c), t.input(c));
                assertTrue(d < 1e-4, m + " " + c + ": decomposition off by " + d);
            }
        }
    }

    @Test
    void componentMathReproducesTheRuntimesHeadsMlpsAndLogits() {
        for (HookedTransformer m : List.of(llama, gpt2)) {
            PathPatcher pp = new PathPatcher(m, task(m, Metric.LOSS, 2, 2));
            ComponentTrace t = pp.referenceTraces().get(1);
            ModelConfig c = m.config();
            for (int l = 0; l < c.nLayers(); l++) {
                for (int h = 0; h < c.nHeads(); h++) {
                    float[][] x = t.residPre[l];
                    assertTrue(maxDiff(pp.math().head(l, h, x, x, x), t.result[l][h]) < 1e-4, m + " head L" + l + "H" + h);
                }
                assertTrue(maxDiff(pp.math().mlp(l, t.residMid[l]), t.mlpOut[l]) < 1e-4, m + " mlp" + l);
            }
            assertTrue(maxDiff(pp.math().logits(t.residFinal), t.logits) < 1e-4, m + " logits");
        }
    }

    @Test
    void emptyHypothesisIsExactlyThePlainReferenceForwardAndExplainsNothing() {
        for (HookedTransformer m : List.of(llama, gpt2)) {
            PatchingTask task = task(m, Metric.LOGIT_DIFF, 4, 3);
            PathPatcher pp = new PathPatcher(m, task);
            for (int i = 0; i < 4; i++) {
                float[][] patched = pp.treeified(i, Hypothesis.empty()).logits();
                Tensor plain = m.logits(task.pairs().get(i).reference()); // an independent single-prompt forward
                float[][] p = new float[patched.length][];
                for (int r = 0; r < p.length; r++) p[r] = plain.row(r);
                assertEquals(0.0, maxDiff(patched, p), 0.0, "empty hypothesis differs from the reference forward");
            }
            PatchingResult r = pp.evaluate(Hypothesis.empty());
            assertEquals(0.0, r.proportionExplained(), 1e-12);
            assertTrue(Math.abs(r.totalEffect()) > 1e-2, "test needs a real effect, got " + r.totalEffect());
        }
    }

    @Test
    void fullGraphHypothesisExplainsEverything() {
        for (HookedTransformer m : List.of(llama, gpt2)) {
            {
                Metric metric = m == llama ? Metric.LOGIT_DIFF : Metric.LOSS;   // one metric per architecture keeps the test quick
                PathPatcher pp = new PathPatcher(m, task(m, metric, 3, 4));
                PatchingResult r = pp.evaluate(Hypothesis.fullGraph(m.config()));
                assertEquals(1.0, r.proportionExplained(), 1e-3, m + " " + metric);
                float[][] patched = pp.treeified(0, Hypothesis.fullGraph(m.config())).logits();
                assertTrue(maxDiff(patched, pp.cleanTraces().get(0).logits) < 1e-4);
                assertTrue(r.ciLow() <= 1.0 + 1e-3 && r.ciHigh() >= 1.0 - 1e-3);
            }
        }
    }

    @Test
    void pathsRecomputeButReturnTheReferenceWhenCleanEqualsReference() {
        SplittableRandom r = new SplittableRandom(9);
        int[] toks = RandomModels.randomTokens(r, 10, 96);
        PatchingTask same = new PatchingTask("same", "", List.of(new PromptPair(toks, toks, new int[] {9}, new int[] {3}, new int[] {4})), Metric.LOSS);
        PathPatcher pp = new PathPatcher(llama, same);
        Hypothesis h = new Hypothesis("h", List.of(CircuitPath.parse("embed -> L0H1.v -> L1H2.k -> logits"),
                CircuitPath.parse("mlp0 -> L1H3.q -> mlp1 -> logits")));
        TreeifiedRun run = pp.treeified(0, h);
        float[][] patched = run.logits();
        assertTrue(run.recomputed() >= 4, "components were recomputed");
        assertTrue(maxDiff(patched, pp.referenceTraces().get(0).logits) < 1e-4);
    }

    /**
     * Independent check of sender -> receiver.port -> logits with the runtime's own hooks: (A) the sender's clean
     * output; (B) the reference run with resid_pre of the receiver's layer shifted by (clean - reference) sender
     * output, reading the receiver's q/k/v; (C) the reference run with that q/k/v replaced, reading the
     * receiver's hook_result; (D) the reference run with the final residual shifted by the receiver's change.
     */
    @Test
    void singleEdgePathMatchesAFourStepRuntimeHookComputation() {
        PatchingTask task = task(llama, Metric.LOSS, 2, 7);
        PathPatcher pp = new PathPatcher(llama, task);
        ModelConfig c = llama.config();
        String[] hooks = {"hook_q", "hook_k", "hook_v"};
        Component[] senders = {Component.head(0, 1), Component.EMBED, Component.mlp(0)};
        for (int pi = 0; pi < 3; pi++) {
            Port port = List.of(Port.Q, Port.K, Port.V).get(pi);
            Component sender = senders[pi], receiver = Component.head(1, 3);
            PromptPair pair = task.pairs().get(0);
            ComponentTrace cl = pp.cleanTraces().get(0), rf = pp.referenceTraces().get(0);
            int T = pair.clean().length, d = c.dModel();
            float[] shifted = new float[T * d];
            for (int t = 0; t < T; t++)
                for (int i = 0; i < d; i++)
                    shifted[t * d + i] = rf.residPre[1][t][i] + cl.output(sender)[t][i] - rf.output(sender)[t][i];
            String hookName = "blocks.1.attn." + hooks[pi];
            ForwardResult b = llama.run(new int[][] {pair.reference()}, false,
                    Hooks.create().replace("blocks.1.hook_resid_pre", new Tensor(shifted, T, d)), List.of(hookName));
            int headIndex = port == Port.Q ? 3 : 3 / c.groupSize();
            ForwardResult cc = llama.run(new int[][] {pair.reference()}, false,
                    Hooks.create().replace(hookName, b.cache().get(hookName), Selection.heads(headIndex)), List.of("blocks.1.attn.hook_result"));
            float[] res = cc.cache().get("blocks.1.attn.hook_result").data(); // [T, H, d]
            float[] fin = new float[T * d];
            for (int t = 0; t < T; t++)
                for (int i = 0; i < d; i++)
                    fin[t * d + i] = rf.residFinal[t][i] + res[(t * c.nHeads() + 3) * d + i] - rf.result[1][3][t][i];
            Tensor expected = llama.runWithHooks(pair.reference(), Hooks.create().replace("blocks.1.hook_resid_post", new Tensor(fin, T, d)));
            float[][] exp = new float[T][];
            for (int t = 0; t < T; t++) exp[t] = expected.row(t);
            Hypothesis h = new Hypothesis("one", List.of(CircuitPath.of(sender, receiver, port)));
            float[][] got = pp.treeified(0, h).logits();
            assertTrue(maxDiff(got, exp) < 1e-4, port + ": treeified vs runtime hooks differ by " + maxDiff(got, exp));
            assertTrue(maxDiff(got, rf.logits) > 1e-3, port + ": the path must change something");
        }
    }

    /** Clean and reference differ at one position j only: a query path changes only row j; key/value paths only rows >= j. */
    @Test
    void aPathChangesOnlyWhatItShould() {
        SplittableRandom r = new SplittableRandom(11);
        int[] clean = RandomModels.randomTokens(r, 10, 96), ref = clean.clone();
        int j = 5;
        ref[j] = clean[j] % 95 + 1;
        PathPatcher pp = new PathPatcher(llama, new PatchingTask("one", "", List.of(new PromptPair(clean, ref, new int[] {9}, new int[] {1}, new int[] {2})), Metric.LOSS));
        // the same paths with clean = reference: the recomputation without any change, to compare bit for bit
        PathPatcher same = new PathPatcher(llama, new PatchingTask("same", "", List.of(new PromptPair(ref, ref, new int[] {9}, new int[] {1}, new int[] {2})), Metric.LOSS));
        for (Port port : List.of(Port.Q, Port.K, Port.V)) {
            Hypothesis h = new Hypothesis(port.label(), List.of(CircuitPath.of(Component.EMBED, Component.head(1, 2), port)));
            TreeifiedRun run = pp.treeified(0, h);
            float[][] got = run.logits(), refLogits = same.treeified(0, h).logits();
            for (int t = 0; t < 10; t++) {
                double d = 0;
                for (int v = 0; v < got[t].length; v++) d = Math.max(d, Math.abs(got[t][v] - refLogits[t][v]));
                boolean mayChange = port == Port.Q ? t == j : t >= j;
                if (!mayChange) assertEquals(0.0, d, 0.0, port + " path changed row " + t + " by " + d);
                if (t == j) assertTrue(d > 1e-4, port + " path left row " + j + " unchanged");
            }
            // a head on no path is the reference run's array itself, and so is the mlp of the receiver's layer
            assertSame(pp.referenceTraces().get(0).result[0][2], run.value(Component.head(0, 2), List.of(new PathStep(Component.LOGITS, Port.IN))));
            assertSame(pp.referenceTraces().get(0).mlpOut[1], run.value(Component.mlp(1), List.of(new PathStep(Component.LOGITS, Port.IN))));
        }
    }

    @Test
    void bootstrapIntervalCoversTheRatio() {
        PathPatcher pp = new PathPatcher(llama, task(llama, Metric.LOGIT_DIFF, 10, 12));
        PatchingResult r = pp.evaluate(new Hypothesis("h", List.of(CircuitPath.parse("L0H0 -> logits"), CircuitPath.parse("embed -> L1H1.v -> logits"))));
        assertTrue(r.ciLow() <= r.proportionExplained() && r.proportionExplained() <= r.ciHigh(), r.ciLow() + " " + r.ciHigh());
        assertEquals(r.effect() / r.totalEffect(), r.proportionExplained(), 1e-9);
    }

    @Test
    void conditionalSweepReportsTheGainOverItsBase() {
        PathPatcher pp = new PathPatcher(llama, task(llama, Metric.LOSS, 4, 13));
        Component r = Component.head(1, 1);
        Hypothesis base = new Hypothesis("b", List.of(CircuitPath.parse("embed -> L1H1.v -> logits")));
        SweepResult s = pp.sweep(r, true, Map.of(Port.K, base));
        int pk = s.ports().indexOf(Port.K), si = s.senders().indexOf(Component.head(0, 2));
        double withBase = pp.evaluate(base.plus("x", CircuitPath.compose("L0H2 -> L1H1.k", CircuitPath.exits(r, llama.config(), false)))).proportionExplained();
        assertEquals(withBase - pp.evaluate(base).proportionExplained(), s.gain(pk, si), 1e-12);
        assertEquals(s.gain(pk, si), s.headMatrix(Port.K)[0][2], 1e-12);
        // ports without a base are plain proportions; routes through mlp1 are part of every path here
        int pq = s.ports().indexOf(Port.Q);
        assertEquals(0.0, s.baseProportion()[pq]);
        assertEquals(2, CircuitPath.exits(r, llama.config(), false).size()); // direct, via mlp1
        assertEquals(pp.evaluate(new Hypothesis("q", CircuitPath.compose("L0H2 -> L1H1.q", CircuitPath.exits(r, llama.config(), false)))).proportionExplained(),
                s.gain(pq, si), 1e-12);
    }

    @Test
    void hypothesisJsonRoundTripsAndRejectsBadPaths() {
        Hypothesis h = Hypothesis.parseJson("{\"name\":\"n\",\"paths\":[\"embed -> L0H1.v -> L1H2.k -> logits\",\"mlp0->logits\"]}", "test");
        assertEquals(2, h.paths().size());
        assertEquals("embed -> L0H1.v -> L1H2.k -> logits", h.paths().get(0).toString());
        assertEquals(h, Hypothesis.parseJson(h.toJson().toString(), "again"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hypothesis.parseJson("{\"paths\":[\"L1H2 -> L0H1.k -> logits\"]}", "f.json"));
        assertTrue(e.getMessage().contains("f.json") && e.getMessage().contains("paths[0]") && e.getMessage().contains("does not write"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CircuitPath.parse("embed -> L1H2 -> logits")); // head input missing
        assertThrows(IllegalArgumentException.class, () -> CircuitPath.parse("embed -> L1H2.k"));          // must end at logits
        assertThrows(IllegalArgumentException.class, () -> new PathPatcher(llama, task(llama, Metric.LOSS, 1, 1))
                .evaluate(new Hypothesis("x", List.of(CircuitPath.parse("L7H0 -> logits")))));
    }
}
