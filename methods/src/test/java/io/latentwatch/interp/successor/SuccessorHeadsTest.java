package io.latentwatch.interp.successor;

import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.LayerWeights;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.ModelWeights;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.interp.paths.ComponentMath;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.interp.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SuccessorHeadsTest {
    @TempDir static Path tmp;
    static HookedTransformer model;

    @BeforeAll
    static void load() throws Exception {
        RandomCheckpoints.writeLlama(tmp.resolve("m"), new RandomCheckpoints.LlamaSpec(64, 128, 4, 2, 2, 96, 64, 1e-5, 10000.0, false, 0.3),
                3, DType.F32, 1);
        model = HookedTransformer.load(tmp.resolve("m"), null);
    }

    @AfterAll
    static void close() { model.close(); }

    static OrdinalTask cyclicTask() {
        int[] ids = new int[10];
        for (int i = 0; i < 10; i++) ids[i] = 10 + i;
        return new OrdinalTask("planted", List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), ids, true);
    }

    /**
     * The effective OV circuit of a layer-1 head against the runtime: a one-token prompt attends only to itself, so with
     * block 0's attention output zeroed, the head's hook_result at position 0 is W_O W_V(ln1(e + MLP0(e))), and the
     * runtime's logits with the last resid_post replaced by it are the OV logits.
     */
    @Test
    void ovCircuitMatchesTheRuntimeOnOneTokenPrompts() {
        OvCircuit ov = new OvCircuit(new ComponentMath(model.params().toWeights()));
        ModelConfig c = model.config();
        for (int t : new int[] {5, 17, 60}) {
            for (int h = 0; h < c.nHeads(); h++) {
                var r = model.run(new int[][] {{t}}, false, Hooks.create().zeroAblate("blocks.0.hook_attn_out"), List.of("blocks.1.attn.hook_result"));
                float[] res = Arrays.copyOfRange(r.cache().get("blocks.1.attn.hook_result").data(), h * c.dModel(), (h + 1) * c.dModel());
                Tensor expected = model.runWithHooks(new int[] {t}, Hooks.create().replace("blocks.1.hook_resid_post", new Tensor(res, 1, c.dModel())));
                float[] got = ov.logits(1, h, ov.effectiveEmbeddings(new int[] {t}))[0];
                double d = 0;
                for (int v = 0; v < got.length; v++) d = Math.max(d, Math.abs(got[v] - expected.data()[v]));
                assertTrue(d < 1e-4, "token " + t + " head " + h + ": OV logits off by " + d);
            }
        }
    }

    /** Plants an exact successor map for tokens 10..19 into head L1H2's OV circuit (MLP0 silenced). */
    static ModelWeights planted() {
        ModelWeights w = model.params().toWeights();
        ModelConfig c = w.config();
        int d = c.dModel(), dh = c.dHead(), head = 2, kv = head / c.groupSize();
        float[] we = w.wE().data();
        for (int i = 0; i < 10; i++) {
            Arrays.fill(we, (10 + i) * d, (11 + i) * d, 0f);
            we[(10 + i) * d + i] = 3f;
        }
        Arrays.fill(w.layers().get(0).wOut().data(), 0f);
        LayerWeights l1 = w.layers().get(1);
        float[] wv = l1.wV().data(), wo = l1.wO().data(), wu = w.wU().data();
        int kvCols = c.kvDim();
        for (int row = 0; row < d; row++) for (int j = 0; j < dh; j++) wv[row * kvCols + kv * dh + j] = 0f;
        for (int i = 0; i < 10; i++) wv[i * kvCols + kv * dh + i] = 1f;
        for (int j = 0; j < dh; j++)
            for (int col = 0; col < d; col++) wo[(head * dh + j) * d + col] = j < 10 ? 2f * wu[col * c.vocabSize() + 10 + (j + 1) % 10] : 0f;
        return w;
    }

    @Test
    void plantedSuccessorHeadIsRankedFirstFarAboveRandomInit() {
        ModelWeights w = planted();
        List<OrdinalTask> tasks = List.of(cyclicTask());
        SuccessionScores s = SuccessionScores.compute(new OvCircuit(new ComponentMath(w)), tasks);
        assertArrayEquals(new int[] {1, 2}, s.best());
        assertEquals(1.0, s.pooled()[1][2], 1e-12);
        SuccessionScores base = SuccessionScores.compute(new OvCircuit(new ComponentMath(ShuffledBaseline.randomLike(w, 7))), tasks);
        int[] b = base.best();
        assertTrue(base.pooled()[b[0]][b[1]] <= 0.5, "random-init best " + base.pooled()[b[0]][b[1]]);
        // and the unmodified random model has no successor head either
        SuccessionScores raw = SuccessionScores.compute(new OvCircuit(new ComponentMath(model.params().toWeights())), tasks);
        assertTrue(raw.pooled()[raw.best()[0]][raw.best()[1]] <= 0.5);
    }

    @Test
    void successionScoreCountsByHandOnAFewTokens() {
        // scalar re-count for one head: argmax over the task's logits compared with the successor
        ModelWeights w = planted();
        OvCircuit ov = new OvCircuit(new ComponentMath(w));
        OrdinalTask t = cyclicTask();
        SuccessionScores s = SuccessionScores.compute(ov, List.of(t));
        for (int h = 0; h < 4; h++) {
            int hits = 0;
            for (int i = 0; i < 10; i++) {
                float[] lg = ov.logits(1, h, ov.inputs(1, new int[] {10 + i}))[0];
                int best = 10;
                for (int j = 10; j < 20; j++) if (lg[j] > lg[best]) best = j;
                if (best == 10 + (i + 1) % 10) hits++;
            }
            assertEquals(hits / 10.0, s.pooled()[1][h], 1e-12);
        }
    }

    @Test
    void contextualInputsAreTheEmbeddingAtLayerZeroAndTheCachedResidualLater() {
        int[] ids = {7, 30, 31};
        ContextualInputs ci = new ContextualInputs(model, ids);
        OvCircuit ov = new OvCircuit(new ComponentMath(model.params().toWeights()));
        float[][] e = ov.embeddings(ids), c0 = ci.inputs(0, ids);
        for (int i = 0; i < ids.length; i++) assertArrayEquals(e[i], c0[i], 1e-6f);
        int bos = model.config().bosId();
        int[] prompt = bos >= 0 ? new int[] {bos, 30} : new int[] {30};
        float[] want = model.runWithCache(prompt, List.of("blocks.1.hook_resid_pre")).cache().get("blocks.1.hook_resid_pre").row(prompt.length - 1);
        assertArrayEquals(want, ci.inputs(1, new int[] {30})[0], 1e-4f); // batched vs single forward: float rounding
    }

    @Test
    void linearProbeFindsPlantedMod10StructureAndNotNoise() {
        SplittableRandom r = new SplittableRandom(1);
        int d = 32;
        double[][] unit = new double[10][d], tens = new double[10][d];
        double[] magnitude = new double[d];
        for (int j = 0; j < d; j++) magnitude[j] = r.nextGaussian();
        // units digit: ten random directions; decade: a position along one "magnitude" line (plus a little noise)
        for (int k = 0; k < 10; k++) for (int j = 0; j < d; j++) { unit[k][j] = r.nextGaussian(); tens[k][j] = k * magnitude[j] + 0.2 * r.nextGaussian(); }
        float[][] structured = new float[100][d], noise = new float[100][d];
        int[] values = new int[100];
        for (int t = 0; t < 100; t++) {
            values[t] = t;
            for (int j = 0; j < d; j++) {
                structured[t][j] = (float) (unit[t % 10][j] + tens[t / 10][j] + 0.1 * r.nextGaussian());
                noise[t][j] = (float) r.nextGaussian();
            }
        }
        assertTrue(Mod10Features.heldOutProbe(structured, values) > 0.95);
        assertTrue(Mod10Features.heldOutProbe(noise, values) < 0.3);
    }

    @Test
    void solveAndGreaterThanBiasAgainstHandComputedValues() {
        double[][] x = Mod10Features.solve(new double[][] {{4, 1}, {1, 3}}, new double[][] {{1}, {2}});
        assertEquals(1.0 / 11, x[0][0], 1e-12);
        assertEquals(7.0 / 11, x[1][0], 1e-12);
        // logit of number u = u: for t, mean(u > t) - mean(u < t) over {0,1,2,3}: t=1: 2.5-0; t=2: 3-0.5 -> mean 2.5
        int[] ids = {0, 1, 2, 3}, vals = {0, 1, 2, 3};
        float[][] lg = new float[4][4];
        for (float[] row : lg) for (int j = 0; j < 4; j++) row[j] = j;
        assertEquals(2.5, GreaterThanBias.bias(lg, ids, vals), 1e-9);
    }

    @Test
    void ordinalTasksAreFoundInAVocabulary() {
        String[] vocab = {"<s>", "</s>", "\u2581monday", "\u2581tuesday", "\u2581wednesday", "\u2581thursday", "1", "2", "3", "4", "a", "b", "c", "d", "x"};
        Tokenizer tok = new Tokenizer() {
            public int[] encode(String text, boolean addBos) { throw new UnsupportedOperationException(); }
            public String decode(int[] ids) { return ""; }
            public String tokenString(int id) { return vocab[id]; }
            public int bosId() { return 0; }
            public int eosId() { return 1; }
            public int vocabSize() { return vocab.length; }
        };
        List<OrdinalTask> ts = OrdinalTask.find(tok, vocab.length);
        assertEquals(List.of("numbers", "weekdays", "letters"), ts.stream().map(OrdinalTask::name).toList());
        assertEquals(3, ts.get(1).successorPairs().size()); // monday..thursday: no wrap (friday..sunday missing)
        assertEquals(6, ts.get(0).ids()[1]);
    }
}
