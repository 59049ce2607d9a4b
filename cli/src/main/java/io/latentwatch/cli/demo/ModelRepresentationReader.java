package io.latentwatch.cli.demo;

import io.latentwatch.node.InferenceNode;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.lens.DecodedToken;
import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
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
 *   <li>token-identity Patchscope (Ghandeharioun et al. 2024, section 4.1): h patched into the few-shot
 *       identity prompt ({@link TokenIdentityPrompt}, adapted to the tokenizer) at its last position and
 *       the same hook, then 4 greedy tokens decoded: the model's own reading of what h stands for.</li>
 * </ul>
 * With a tuned lens (the demo's lens-trajectory detector has one), residual hooks are also read through the
 * translator of their layer: top 5 tokens in {@code tunedLensTokens}. A per-head output
 * ({@code blocks.L.attn.hook_result}, alert attribute {@code head}) gets the logit lens only: which tokens
 * that head writes towards; it is not a residual state, so there is no Patchscope of it.
 */
public final class ModelRepresentationReader implements RepresentationReader {
    private final InferenceNode node;
    private final io.latentwatch.interp.lens.TunedLens tunedLens;

    public ModelRepresentationReader(InferenceNode node) {
        this(node, null);
    }

    /** @param tunedLens the node's model's tuned lens, or null (no tuned-lens tokens) */
    public ModelRepresentationReader(InferenceNode node, io.latentwatch.interp.lens.TunedLens tunedLens) {
        this.node = node;
        this.tunedLens = tunedLens;
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
            int d = m.config().dModel(), heads = m.config().nHeads();
            String head = alert.getAttributes().get("head");
            if (hook.endsWith("attn.hook_result") && head != null && acts.data().length == toks.length * heads * d) {
                // One head's output z_h W_O[h] (residual space, not a residual state): the tokens it writes towards.
                int at = (pos * heads + Integer.parseInt(head)) * d;
                return new Reading(logitLens(m, java.util.Arrays.copyOfRange(acts.data(), at, at + d), 5), List.of(), null);
            }
            if (acts.data().length != toks.length * d) return new Reading(List.of(), List.of(), null); // not a residual hook
            float[] h = java.util.Arrays.copyOfRange(acts.data(), pos * d, (pos + 1) * d);
            return new Reading(logitLens(m, h, 5), tunedLens(m, hook, h, 5), patchscope(m, hook, h));
        } finally {
            node.modelLock().unlock();
        }
    }

    static List<TokenProbability> logitLens(HookedTransformer m, float[] h, int n) {
        List<TokenProbability> out = new ArrayList<>(n);
        for (DecodedToken t : new LogitLens(m).topK(h, n)) {
            out.add(TokenProbability.newBuilder().setToken(t.token()).setTokenId(t.id())
                    .setProbability(Math.round(t.probability() * 1e4) / 1e4).build());
        }
        return out;
    }

    private List<TokenProbability> tunedLens(HookedTransformer m, String hook, float[] h, int n) {
        int layer = io.latentwatch.monitor.detect.LensTrajectoryScorer.residualLayer(m.config(), hook);
        if (tunedLens == null || layer < 0 || layer >= m.config().nLayers()) return List.of();
        List<TokenProbability> out = new ArrayList<>(n);
        for (DecodedToken t : tunedLens.topK(layer, h, n)) {
            out.add(TokenProbability.newBuilder().setToken(t.token()).setTokenId(t.id())
                    .setProbability(Math.round(t.probability() * 1e4) / 1e4).build());
        }
        return out;
    }

    static String patchscope(HookedTransformer m, String hook, float[] h) {
        int[] target = TokenIdentityPrompt.tokens(m);
        int q = target.length - 1;
        int d = h.length;
        float[] value = new float[target.length * d];
        System.arraycopy(h, 0, value, q * d, d);
        Hooks hooks = Hooks.create().replace(hook, new Tensor(value, target.length, d), Selection.positions(q));
        var g = Generator.generate(m, target, GenerationConfig.greedy(4), hooks);
        return g.text() == null ? null : g.text().strip();
    }
}
