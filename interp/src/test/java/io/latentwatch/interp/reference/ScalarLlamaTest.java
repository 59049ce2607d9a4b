package io.latentwatch.interp.reference;

import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Known-property tests of the scalar Llama reference (before it is trusted to judge the runtime). */
class ScalarLlamaTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378, 365, 3, 450, 511, 40, 282, 42};
    static ScalarLlama stories;

    @BeforeAll
    static void load() throws Exception {
        stories = Llama2cCheckpoint.read(Fixtures.STORIES);
    }

    @Test
    void headerOfStories260K() {
        ScalarLlama.Config c = stories.config();
        assertEquals(new ScalarLlama.Config(64, 172, 5, 8, 4, 512, 1e-5, 10000.0, ScalarLlama.Rope.ADJACENT_PAIRS), c);
        assertSame(stories.weights().tokenEmbedding, stories.weights().classifier, "positive vocab_size = shared classifier");
    }

    @Test
    void greedyFromBosIsTinyStoriesEnglish() throws Exception {
        Llama2cVocab vocab = Llama2cVocab.read(Fixtures.STORIES_TOKENIZER, 512);
        int[] ids = {1};
        for (int step = 0; step < 30; step++) {
            ScalarLlama.Result r = stories.forward(ids);
            double[] last = r.logits().row(ids.length - 1);
            int best = 0;
            for (int v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = best;
        }
        String text = vocab.decode(Arrays.copyOfRange(ids, 1, ids.length), true);
        System.out.println("reference greedy: " + text);
        assertTrue(text.startsWith("Once upon a time"), text);
    }

    @Test
    void llama2cAndHfRotateHalfLayoutsGiveTheSameNumbers() {
        ScalarLlama hf = ScalarLlama.fromHf(Llama2cCheckpoint.toHf(stories), 8, 4, 1e-5, 10000.0);
        assertEquals(ScalarLlama.Rope.ROTATE_HALF, hf.config().rope());
        ScalarLlama.Result a = stories.forward(PROMPT), b = hf.forward(PROMPT);
        assertTrue(a.logits().maxAbs() > 1, "logits are not trivially small");
        assertEquals(0, a.logits().maxAbsDiff(b.logits()), 1e-9);
        for (String k : a.hooks().keySet()) {
            if (k.contains("hook_q") || k.contains("hook_k") || k.contains("rot_")) continue; // permuted within a head
            assertEquals(0, a.hooks().get(k).maxAbsDiff(b.hooks().get(k)), 1e-9, k);
        }
    }

    @Test
    void theWrongRopeConventionIsDetected() {
        // Negative control: HF names without the q/k permutation (still rotate-half) must disagree,
        // so the equality above is not vacuous.
        Map<String, Tensor> t = Llama2cCheckpoint.toHf(stories);
        ScalarLlama.Weights w = stories.weights();
        for (int l = 0; l < 5; l++) {
            t.put("model.layers." + l + ".self_attn.q_proj.weight", new Tensor(w.wq[l], 64, 64));
            t.put("model.layers." + l + ".self_attn.k_proj.weight", new Tensor(w.wk[l], 32, 64));
        }
        ScalarLlama wrong = ScalarLlama.fromHf(t, 8, 4, 1e-5, 10000.0);
        assertTrue(stories.forward(PROMPT).logits().maxAbsDiff(wrong.forward(PROMPT).logits()) > 1e-2);
    }

    @Test
    void attentionPatternsAreCausalDistributions() {
        ScalarLlama.Result r = stories.forward(PROMPT);
        int T = PROMPT.length;
        for (int l = 0; l < 5; l++) {
            RefTensor p = r.hooks().get("blocks." + l + ".attn.hook_pattern");
            assertArrayEquals(new int[]{8, T, T}, p.shape());
            for (int h = 0; h < 8; h++) for (int q = 0; q < T; q++) {
                double sum = 0;
                for (int k = 0; k < T; k++) {
                    double v = p.data()[(h * T + q) * T + k];
                    if (k > q) assertEquals(0.0, v, "no attention to the future");
                    assertTrue(v >= 0);
                    sum += v;
                }
                assertEquals(1.0, sum, 1e-12);
            }
        }
    }

    @Test
    void laterTokensDoNotChangeEarlierPositions() {
        int[] other = PROMPT.clone();
        other[PROMPT.length - 1] = 100;
        ScalarLlama.Result a = stories.forward(PROMPT), b = stories.forward(other);
        for (int t = 0; t < PROMPT.length - 1; t++) {
            assertArrayEquals(a.logits().row(t), b.logits().row(t), 0.0);
        }
        assertFalse(Arrays.equals(a.logits().row(PROMPT.length - 1), b.logits().row(PROMPT.length - 1)));
    }

    @Test
    void zeroedAttentionOutputLeavesTheResidualUnaffected() throws Exception {
        ScalarLlama m = Llama2cCheckpoint.read(Fixtures.STORIES);
        Arrays.fill(m.weights().wo[2], 0f);
        ScalarLlama.Result r = m.forward(PROMPT);
        assertEquals(0, r.hooks().get("blocks.2.hook_resid_pre").maxAbsDiff(r.hooks().get("blocks.2.hook_resid_mid")));
        assertTrue(r.hooks().get("blocks.1.hook_resid_pre").maxAbsDiff(r.hooks().get("blocks.1.hook_resid_mid")) > 1e-3);
    }

    @Test
    void residualStreamDecomposes() {
        ScalarLlama.Result r = stories.forward(PROMPT);
        for (int l = 0; l < 5; l++) {
            String b = "blocks." + l + ".";
            RefTensor pre = r.hooks().get(b + "hook_resid_pre"), mid = r.hooks().get(b + "hook_resid_mid");
            RefTensor attn = r.hooks().get(b + "hook_attn_out"), mlp = r.hooks().get(b + "hook_mlp_out");
            RefTensor post = r.hooks().get(b + "hook_resid_post"), res = r.hooks().get(b + "attn.hook_result");
            int n = pre.data().length, T = PROMPT.length, d = 64;
            for (int i = 0; i < n; i++) {
                assertEquals(pre.data()[i] + attn.data()[i], mid.data()[i], 1e-12);
                assertEquals(mid.data()[i] + mlp.data()[i], post.data()[i], 1e-12);
            }
            for (int t = 0; t < T; t++) for (int o = 0; o < d; o++) {
                double s = 0;
                for (int h = 0; h < 8; h++) s += res.data()[(t * 8 + h) * d + o];
                assertEquals(attn.data()[t * d + o], s, 1e-12, "sum of per-head results = attn_out");
            }
            if (l < 4) assertEquals(0, post.maxAbsDiff(r.hooks().get("blocks." + (l + 1) + ".hook_resid_pre")));
        }
    }

    @Test
    void zeroBlocksReduceToNormThenUnembed() {
        // With every block's output projections zeroed, logits[t] = (rmsnorm(emb[tok]) * g) . classifier,
        // computed here by hand without the reference's helpers.
        ScalarLlama m = ScalarLlama.fromHf(Llama2cCheckpoint.toHf(stories), 8, 4, 1e-5, 10000.0);
        for (int l = 0; l < 5; l++) { Arrays.fill(m.weights().wo[l], 0f); Arrays.fill(m.weights().w2[l], 0f); }
        ScalarLlama.Result r = m.forward(PROMPT);
        float[] e = m.weights().tokenEmbedding, g = m.weights().rmsFinal;
        for (int t = 0; t < PROMPT.length; t++) {
            double ss = 0;
            for (int i = 0; i < 64; i++) ss += (double) e[PROMPT[t] * 64 + i] * e[PROMPT[t] * 64 + i];
            double inv = 1 / Math.sqrt(ss / 64 + 1e-5);
            for (int v = 0; v < 512; v += 37) {
                double s = 0;
                for (int i = 0; i < 64; i++) s += e[PROMPT[t] * 64 + i] * inv * g[i] * e[v * 64 + i];
                assertEquals(s, r.logits().data()[t * 512 + v], 1e-10);
            }
        }
    }

    @Test
    void groupedQueryAttentionEqualsExplicitlyRepeatedKvHeads() {
        // HF repeat_kv: kv head j serves query heads j*g .. j*g+g-1. Expanding wk/wv that way to
        // n_kv = n_heads must not change anything.
        ScalarLlama.Config c = stories.config();
        ScalarLlama.Weights w = stories.weights(), x = new ScalarLlama.Weights(5);
        x.tokenEmbedding = w.tokenEmbedding; x.classifier = w.classifier; x.rmsFinal = w.rmsFinal;
        for (int l = 0; l < 5; l++) {
            x.wq[l] = w.wq[l]; x.wo[l] = w.wo[l]; x.rmsAtt[l] = w.rmsAtt[l]; x.rmsFfn[l] = w.rmsFfn[l];
            x.w1[l] = w.w1[l]; x.w2[l] = w.w2[l]; x.w3[l] = w.w3[l];
            x.wk[l] = repeatKv(w.wk[l], 4, 2, 8, 64);
            x.wv[l] = repeatKv(w.wv[l], 4, 2, 8, 64);
        }
        ScalarLlama mha = new ScalarLlama(new ScalarLlama.Config(64, 172, 5, 8, 8, 512, 1e-5, 1e4, c.rope()), x);
        assertEquals(0, stories.forward(PROMPT).logits().maxAbsDiff(mha.forward(PROMPT).logits()), 1e-12);
    }

    static float[] repeatKv(float[] w, int kvHeads, int group, int hd, int in) {
        float[] out = new float[w.length * group];
        for (int j = 0; j < kvHeads; j++) for (int r = 0; r < group; r++)
            System.arraycopy(w, j * hd * in, out, (j * group + r) * hd * in, hd * in);
        return out;
    }

    @Test
    void rotaryEmbeddingsAreRelative() {
        // RoPE's defining property: <R(m) q, R(n) k> depends only on m - n; R(0) is the identity.
        SplittableRandom rnd = new SplittableRandom(3);
        for (ScalarLlama.Rope rope : ScalarLlama.Rope.values()) {
            double[] q = new double[16], k = new double[16];
            for (int i = 0; i < 16; i++) { q[i] = rnd.nextGaussian(); k[i] = rnd.nextGaussian(); }
            double[] q0 = q.clone();
            ScalarLlama.rotate(q0, 0, 16, 0, 1e4, rope);
            assertArrayEquals(q, q0, 0.0);
            assertEquals(dotRot(q, k, 7, 3, rope), dotRot(q, k, 104, 100, rope), 1e-9);
            assertNotEquals(dotRot(q, k, 7, 3, rope), dotRot(q, k, 7, 4, rope), 1e-6);
        }
    }

    static double dotRot(double[] q, double[] k, int m, int n, ScalarLlama.Rope rope) {
        double[] a = q.clone(), b = k.clone();
        ScalarLlama.rotate(a, 0, a.length, m, 1e4, rope);
        ScalarLlama.rotate(b, 0, b.length, n, 1e4, rope);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void activationFunctionsMatchKnownValues() {
        assertEquals(0.7310585786300049, ScalarMath.silu(1.0), 1e-15);
        assertEquals(-0.2689414213699951, ScalarMath.silu(-1.0), 1e-15);
        assertEquals(0.8411919906082768, ScalarMath.geluNew(1.0), 1e-12);
        assertEquals(-0.0036373920817729943, ScalarMath.geluNew(-3.0), 1e-12); // tanh form (exact erf GELU gives -0.00405)
    }

    @Test
    void llama2cWriterRoundTripsWithASeparateClassifier(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.bin");
        Llama2cCheckpoint.write(f, stories, 512);
        assertEquals(Files.size(Fixtures.STORIES), Files.size(f));
        byte[] orig = Files.readAllBytes(Fixtures.STORIES), mine = Files.readAllBytes(f);
        int freqBytes = 512 * 8 * 4; // freq_cis real+imag [512, 4] each: recomputed, may differ in the last ulp
        assertArrayEquals(Arrays.copyOf(orig, orig.length - freqBytes), Arrays.copyOf(mine, mine.length - freqBytes),
                "byte-identical re-export of header and weights");
        ScalarLlama.Weights w = stories.weights();
        ScalarLlama.Weights x = new ScalarLlama.Weights(5);
        System.arraycopy(w.rmsAtt, 0, x.rmsAtt, 0, 5); System.arraycopy(w.wq, 0, x.wq, 0, 5);
        System.arraycopy(w.wk, 0, x.wk, 0, 5); System.arraycopy(w.wv, 0, x.wv, 0, 5);
        System.arraycopy(w.wo, 0, x.wo, 0, 5); System.arraycopy(w.rmsFfn, 0, x.rmsFfn, 0, 5);
        System.arraycopy(w.w1, 0, x.w1, 0, 5); System.arraycopy(w.w2, 0, x.w2, 0, 5); System.arraycopy(w.w3, 0, x.w3, 0, 5);
        x.tokenEmbedding = w.tokenEmbedding; x.rmsFinal = w.rmsFinal;
        x.classifier = w.tokenEmbedding.clone();
        for (int i = 0; i < x.classifier.length; i++) x.classifier[i] *= -0.5f;
        Path g = dir.resolve("untied.bin");
        Llama2cCheckpoint.write(g, new ScalarLlama(stories.config(), x), 64);
        ScalarLlama back = Llama2cCheckpoint.read(g);
        assertNotSame(back.weights().classifier, back.weights().tokenEmbedding);
        assertEquals(0, stories.forward(PROMPT).logits().maxAbsDiff(negHalf(back.forward(PROMPT).logits())), 1e-9);
    }

    static RefTensor negHalf(RefTensor t) {
        double[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) d[i] /= -0.5;
        return new RefTensor(d, t.shape());
    }

    @Test
    void interventionsInTheReferenceBehave() throws Exception {
        ScalarLlama.Result clean = stories.forward(PROMPT);
        // identity intervention on every writable hook changes nothing
        ScalarLlama.Result same = stories.forward(PROMPT, (h, a) -> new RefTensor(a.data().clone(), a.shape()));
        assertEquals(0, clean.logits().maxAbsDiff(same.logits()));
        // zero-ablating head 3 of layer 2 equals zeroing that head's columns of W_O
        ScalarLlama.Result ablated = stories.forward(PROMPT, Intervention.zeroHead(2, 3));
        ScalarLlama m = Llama2cCheckpoint.read(Fixtures.STORIES);
        for (int o = 0; o < 64; o++) Arrays.fill(m.weights().wo[2], o * 64 + 3 * 8, o * 64 + 4 * 8, 0f);
        assertEquals(0, ablated.logits().maxAbsDiff(m.forward(PROMPT).logits()), 1e-12);
        assertTrue(ablated.logits().maxAbsDiff(clean.logits()) > 1e-3);
        assertEquals(0, ablated.hooks().get("blocks.2.hook_resid_pre").maxAbsDiff(clean.hooks().get("blocks.2.hook_resid_pre")));
        // patching a residual with another prompt's value at layer 3 makes layer 3 onwards that prompt's
        int[] other = PROMPT.clone();
        other[4] = 77;
        ScalarLlama.Result o = stories.forward(other);
        ScalarLlama.Result patched = stories.forward(PROMPT, Intervention.replace("blocks.3.hook_resid_pre", o.hooks().get("blocks.3.hook_resid_pre")));
        assertEquals(0, patched.logits().maxAbsDiff(o.logits()), 1e-12);
    }
}
