package io.latentwatch.cli.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.cli.node.InferenceNode;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.explain.RepresentationReader;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.TokenProbability;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a flagged representation with the node's own model, for the demo's explanations. The
 * representation h is recomputed from the request's tokens (the node remembers recent sampled
 * requests) at the alert's hook and position, then:
 * <ul>
 *   <li>logit lens (nostalgebraist 2020): h through the final norm and the unembedding, top 5 tokens
 *       with their softmax probabilities;</li>
 *   <li>token-identity Patchscope (Ghandeharioun et al. 2024, section 4.1): h patched into the target
 *       prompt "cat->cat; 1135->1135; hello->hello; ?" at the "?" position and the same hook, then
 *       4 greedy tokens decoded: the model's own reading of what h stands for.</li>
 * </ul>
 * No tuned lens here (none is trained in the demo), so that list stays empty.
 */
public final class ModelRepresentationReader implements RepresentationReader {
    static final String TARGET = "cat->cat; 1135->1135; hello->hello; ?";
    private final InferenceNode node;

    public ModelRepresentationReader(InferenceNode node) {
        this.node = node;
    }

    @Override
    public Reading read(Alert alert) {
        int[] toks = alert.getRequestId() == null ? null : node.recentTokens(alert.getRequestId());
        Integer pos = alert.getPosition();
        if (toks == null || pos == null || pos >= toks.length) return new Reading(List.of(), List.of(), null);
        HookedTransformer m = node.model();
        String hook = alert.getHook();
        node.modelLock().lock();
        try {
            Tensor acts = m.runWithCache(toks, List.of(hook)).cache().get(hook);
            int d = m.config().dModel();
            if (acts.data().length != toks.length * d) return new Reading(List.of(), List.of(), null); // not a residual hook
            float[] h = java.util.Arrays.copyOfRange(acts.data(), pos * d, (pos + 1) * d);
            return new Reading(logitLens(m, h, 5), List.of(), patchscope(m, hook, h));
        } finally {
            node.modelLock().unlock();
        }
    }

    static List<TokenProbability> logitLens(HookedTransformer m, float[] h, int n) {
        float[] probs;
        try (NDManager mgr = m.manager().newSubManager()) {
            NDArray x = mgr.create(h, new Shape(1, h.length));
            var p = m.params();
            NDArray normed;
            if (m.config().isLlama()) {
                // RMSNorm: x / sqrt(mean(x^2) + eps) * g
                normed = x.div(x.square().mean(new int[]{1}, true).add(m.config().normEps()).sqrt()).mul(p.lnFinalW);
            } else {
                NDArray c = x.sub(x.mean(new int[]{1}, true));
                normed = c.div(c.square().mean(new int[]{1}, true).add(m.config().normEps()).sqrt()).mul(p.lnFinalW);
                if (p.lnFinalB != null) normed = normed.add(p.lnFinalB);
            }
            NDArray logits = normed.matMul(p.wU != null ? p.wU : p.wE.transpose());
            if (p.bU != null) logits = logits.add(p.bU);
            probs = logits.softmax(1).toFloatArray();
        }
        List<TokenProbability> out = new ArrayList<>(n);
        boolean[] used = new boolean[probs.length];
        for (int j = 0; j < Math.min(n, probs.length); j++) {
            int best = -1;
            for (int i = 0; i < probs.length; i++) if (!used[i] && (best < 0 || probs[i] > probs[best])) best = i;
            used[best] = true;
            out.add(TokenProbability.newBuilder().setToken(m.tokenizer().tokenString(best)).setTokenId(best)
                    .setProbability(Math.round(probs[best] * 1e4) / 1e4).build());
        }
        return out;
    }

    static String patchscope(HookedTransformer m, String hook, float[] h) {
        int[] target = m.toTokens(TARGET);
        int q = target.length - 1;
        int d = h.length;
        float[] value = new float[target.length * d];
        System.arraycopy(h, 0, value, q * d, d);
        Hooks hooks = Hooks.create().replace(hook, new Tensor(value, target.length, d), Selection.positions(q));
        var g = Generator.generate(m, target, GenerationConfig.greedy(4), hooks);
        return g.text() == null ? null : g.text().strip();
    }
}
