package io.latentwatch.interp.reference;

import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Known-property tests of the scalar GPT-2 reference on a random fixture. */
class ScalarGpt2Test {
    static final RandomCheckpoints.Gpt2Spec SPEC = RandomCheckpoints.Gpt2Spec.tiny();
    static final int[] PROMPT = {5, 17, 3, 79, 42, 42, 0, 11};

    static ScalarGpt2 model(Map<String, Tensor> t) {
        return ScalarGpt2.fromHf(t, SPEC.nHead(), SPEC.layerNormEpsilon());
    }

    @Test
    void randomFixtureGivesNonTrivialLogits() {
        ScalarGpt2.Result r = model(RandomCheckpoints.randomGpt2(SPEC, 1)).forward(PROMPT);
        assertArrayEquals(new int[]{PROMPT.length, SPEC.vocabSize()}, r.logits().shape());
        assertTrue(r.logits().maxAbs() > 0.5, "max |logit| " + r.logits().maxAbs());
        assertEquals(2 + SPEC.nLayer() * 16 + 1, r.hooks().size());
        assertArrayEquals(new int[]{PROMPT.length, SPEC.nHead(), SPEC.nEmbd() / SPEC.nHead()},
                r.hooks().get("blocks.1.attn.hook_z").shape());
    }

    @Test
    void zeroBlocksReduceToFinalLayerNormThenTiedUnembed() {
        Map<String, Tensor> t = RandomCheckpoints.randomGpt2(SPEC, 2);
        for (Map.Entry<String, Tensor> e : t.entrySet()) {
            if (e.getKey().endsWith("c_proj.weight") || e.getKey().endsWith("c_proj.bias")) Arrays.fill(e.getValue().data(), 0f);
        }
        ScalarGpt2.Result r = model(t).forward(PROMPT);
        int d = SPEC.nEmbd();
        float[] wte = t.get("wte.weight").data(), wpe = t.get("wpe.weight").data();
        float[] g = t.get("ln_f.weight").data(), b = t.get("ln_f.bias").data();
        for (int p = 0; p < PROMPT.length; p++) {
            double[] x = new double[d];
            double mean = 0;
            for (int i = 0; i < d; i++) { x[i] = (double) wte[PROMPT[p] * d + i] + wpe[p * d + i]; mean += x[i] / d; }
            double var = 0;
            for (int i = 0; i < d; i++) var += (x[i] - mean) * (x[i] - mean) / d;
            for (int v = 0; v < SPEC.vocabSize(); v += 7) {
                double s = 0;
                for (int i = 0; i < d; i++) s += ((x[i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i]) * wte[v * d + i];
                assertEquals(s, r.logits().data()[p * SPEC.vocabSize() + v], 1e-10);
            }
        }
    }

    @Test
    void attentionPatternsAreCausalDistributionsAndDecompose() {
        ScalarGpt2.Result r = model(RandomCheckpoints.randomGpt2(SPEC, 3)).forward(PROMPT);
        int T = PROMPT.length, H = SPEC.nHead(), d = SPEC.nEmbd();
        for (int l = 0; l < SPEC.nLayer(); l++) {
            String b = "blocks." + l + ".";
            RefTensor p = r.hooks().get(b + "attn.hook_pattern");
            for (int h = 0; h < H; h++) for (int q = 0; q < T; q++) {
                double sum = 0;
                for (int k = 0; k < T; k++) {
                    double v = p.data()[(h * T + q) * T + k];
                    if (k > q) assertEquals(0.0, v);
                    sum += v;
                }
                assertEquals(1.0, sum, 1e-12);
            }
            RefTensor pre = r.hooks().get(b + "hook_resid_pre"), mid = r.hooks().get(b + "hook_resid_mid");
            RefTensor attn = r.hooks().get(b + "hook_attn_out"), mlp = r.hooks().get(b + "hook_mlp_out");
            RefTensor post = r.hooks().get(b + "hook_resid_post");
            for (int i = 0; i < pre.data().length; i++) {
                assertEquals(pre.data()[i] + attn.data()[i], mid.data()[i], 1e-12);
                assertEquals(mid.data()[i] + mlp.data()[i], post.data()[i], 1e-12);
            }
            RefTensor ln = r.hooks().get(b + "ln1.hook_normalized");
            assertEquals(T * d, ln.data().length);
        }
        RefTensor e = r.hooks().get("hook_embed"), pe = r.hooks().get("hook_pos_embed"), r0 = r.hooks().get("blocks.0.hook_resid_pre");
        for (int i = 0; i < e.data().length; i++) assertEquals(e.data()[i] + pe.data()[i], r0.data()[i], 1e-15);
    }

    @Test
    void laterTokensDoNotChangeEarlierPositions() {
        ScalarGpt2 m = model(RandomCheckpoints.randomGpt2(SPEC, 4));
        int[] other = PROMPT.clone();
        other[3] = 9;
        ScalarGpt2.Result a = m.forward(PROMPT), b = m.forward(other);
        for (int t = 0; t < 3; t++) assertArrayEquals(a.logits().row(t), b.logits().row(t), 0.0);
        assertTrue(Math.abs(a.logits().row(5)[0] - b.logits().row(5)[0]) > 1e-9);
    }

    @Test
    void zeroedAttentionProjectionLeavesTheResidualUnaffected() {
        Map<String, Tensor> t = RandomCheckpoints.randomGpt2(SPEC, 5);
        Arrays.fill(t.get("h.1.attn.c_proj.weight").data(), 0f);
        Arrays.fill(t.get("h.1.attn.c_proj.bias").data(), 0f);
        ScalarGpt2.Result r = model(t).forward(PROMPT);
        assertEquals(0, r.hooks().get("blocks.1.hook_resid_pre").maxAbsDiff(r.hooks().get("blocks.1.hook_resid_mid")));
        assertTrue(r.hooks().get("blocks.0.hook_resid_pre").maxAbsDiff(r.hooks().get("blocks.0.hook_resid_mid")) > 1e-3);
    }

    @Test
    void transformerPrefixedNamesReadTheSame() {
        Map<String, Tensor> t = RandomCheckpoints.randomGpt2(SPEC, 6);
        Map<String, Tensor> prefixed = new LinkedHashMap<>();
        t.forEach((k, v) -> prefixed.put("transformer." + k, v));
        assertEquals(0, model(t).forward(PROMPT).logits().maxAbsDiff(model(prefixed).forward(PROMPT).logits()));
    }
}
