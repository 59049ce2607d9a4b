package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.GenerationResult;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.lens.DecodedToken;
import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.lens.ResidualLayers;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * Runs Patchscopes on the runtime's hooks: the source representation is read with a cached forward, mapped, and
 * injected with {@code Hooks.replace(targetHook, value, Selection.positions(i*))}: exactly at the target hook
 * (blocks.l*.hook_resid_pre, or the last block's hook_resid_post for l* = n_layers) and only at absolute
 * position i*, also during KV-cache generation (where later positions are never touched).
 */
public final class Patchscope {
    private Patchscope() {}

    public static PatchscopeResult run(PatchscopeRequest r) {
        float[] h = sourceVector(r.sourceModel(), r.sourceTokens(), r.sourceLayer(), r.resolvedSourcePosition());
        float[] hp = r.mapping().apply(h);
        int d = r.targetModel().config().dModel();
        if (hp.length != d) {
            throw new IllegalArgumentException("mapped vector has " + hp.length + " dimensions, target model " + r.targetModel().modelId()
                    + " has d_model " + d + " (use an affine map between models of different widths)");
        }
        int pos = r.resolvedTargetPosition();
        Hooks hooks = patchHooks(r.targetModel(), r.targetTokens().length, r.targetLayer(), pos, hp);
        HookedTransformer t = r.targetModel();
        int v = t.config().vocabSize();
        if (r.maxNewTokens() == 0) {
            Tensor logits = t.runWithHooks(r.targetTokens(), hooks);
            float[] last = logits.row(logits.dim(0) - 1);
            List<DecodedToken> top = LensMath.topK(last, 0, v, r.topK(), t.tokenizer());
            return new PatchscopeResult(h, hp, r.targetHook(), pos, last, top, new int[0], tokenText(t, top.get(0).id()));
        }
        GenerationResult g = Generator.generate(t, r.targetTokens(), GenerationConfig.greedy(r.maxNewTokens()).withStops(true, true), hooks);
        float[] first = g.stepLogits().dim(0) > 0 ? g.stepLogits().row(0) : new float[v];
        List<DecodedToken> top = LensMath.topK(first, 0, v, r.topK(), t.tokenizer());
        String text = g.text() != null ? g.text() : Arrays.toString(g.generated());
        return new PatchscopeResult(h, hp, r.targetHook(), pos, first, top, g.generated(), text);
    }

    /**
     * Greedy decoding (with the KV cache) of {@code targetTokens} with {@code vector} patched in at {@code hook}
     * (any residual-stream hook, e.g. the one a monitored representation was read from), absolute position
     * {@code position}: the few-shot token-identity Patchscope when {@code targetTokens} is
     * {@link TokenIdentityPrompt#tokens}. Stops at EOS; returns the decoded text (stripped), or null when the
     * tokenizer cannot decode.
     */
    public static String decodeAt(HookedTransformer target, int[] targetTokens, String hook, int position, float[] vector, int maxNewTokens) {
        int d = target.config().dModel();
        if (vector.length != d) throw new IllegalArgumentException("vector has " + vector.length + " dimensions, d_model is " + d);
        float[] value = new float[targetTokens.length * d];
        System.arraycopy(vector, 0, value, position * d, d);
        Hooks hooks = Hooks.create().replace(hook, new Tensor(value, targetTokens.length, d), Selection.positions(position));
        GenerationResult g = Generator.generate(target, targetTokens, GenerationConfig.greedy(maxNewTokens).withStops(true, true), hooks);
        return g.text() == null ? null : g.text().strip();
    }

    /** The residual vector of {@code tokens} at residual layer {@code layer}, absolute position {@code pos}. */
    public static float[] sourceVector(HookedTransformer m, int[] tokens, int layer, int pos) {
        String hook = ResidualLayers.hook(m.config(), layer);
        Tensor act = m.runWithCache(tokens, List.of(hook)).cache().get(hook);
        return act.row(pos);
    }

    /** Hooks that replace the residual at (layer, absolute position) of a prompt of {@code length} tokens with {@code vector}. */
    public static Hooks patchHooks(HookedTransformer target, int length, int layer, int position, float[] vector) {
        ModelConfig c = target.config();
        int d = c.dModel();
        float[] value = new float[length * d];
        System.arraycopy(vector, 0, value, position * d, d);
        return Hooks.create().replace(ResidualLayers.hook(c, layer), new Tensor(value, length, d), Selection.positions(position));
    }

    /**
     * Batched next-token Patchscope with a fixed target prompt: row j of {@code vectors} [n, d] is injected at
     * (layer, position) of its own copy of the target prompt; returns the logits at the target's last position
     * [n, vocab]. One batched forward per {@code chunk} rows (the same runtime replace hook, batch-shaped value).
     */
    public static Tensor nextTokenLogits(HookedTransformer target, int[] targetTokens, int layer, int position, Tensor vectors, int chunk) {
        ModelConfig c = target.config();
        int d = c.dModel(), v = c.vocabSize(), t = targetTokens.length;
        int pos = ResidualLayers.position(position, t, "target prompt");
        int n = vectors.dim(0);
        if (vectors.rank() != 2 || vectors.dim(1) != d) throw new IllegalArgumentException("vectors must be [n, " + d + "], got " + Arrays.toString(vectors.shape()));
        String hook = ResidualLayers.hook(c, layer);
        float[] out = new float[n * v];
        for (int start = 0; start < n; start += chunk) {
            int b = Math.min(chunk, n - start);
            int[][] batch = new int[b][];
            float[] value = new float[b * t * d];
            for (int j = 0; j < b; j++) {
                batch[j] = targetTokens;
                System.arraycopy(vectors.data(), (start + j) * d, value, (j * t + pos) * d, d);
            }
            Hooks hooks = Hooks.create().replace(hook, new Tensor(value, b, t, d), Selection.positions(pos));
            Tensor logits = target.runWithHooks(batch, hooks); // [b, t, v]
            for (int j = 0; j < b; j++) System.arraycopy(logits.data(), (j * t + t - 1) * v, out, (start + j) * v, v);
        }
        return new Tensor(out, n, v);
    }

    static String tokenText(HookedTransformer m, int id) {
        return m.tokenizer() == null ? Integer.toString(id) : m.tokenizer().tokenString(id);
    }
}
