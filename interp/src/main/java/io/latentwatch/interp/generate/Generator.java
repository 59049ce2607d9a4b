package io.latentwatch.interp.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.hooks.HookPoints;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.KvCache;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.TransformerForward;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;

/**
 * Autoregressive generation with a KV cache: one prefill forward over the prompt, then one single-token
 * forward per step reading the cached keys/values. Hooks fire on the prompt and on every generated token;
 * their {@code HookContext.positionOffset()} is the absolute position of the step's token, so a
 * {@code Selection.positions(i)} intervention acts exactly at position i. Each step runs in its own
 * NDScope; the cache is freed at the end.
 */
public final class Generator {
    private Generator() {}

    public static GenerationResult generate(HookedTransformer model, int[] prompt, GenerationConfig cfg) {
        return generate(model, prompt, cfg, Hooks.none());
    }

    public static GenerationResult generate(HookedTransformer model, int[] prompt, GenerationConfig cfg, Hooks hooks) {
        ModelConfig c = model.config();
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: start from BOS at least");
        for (String n : hooks.names()) HookPoints.check(c, n);
        for (int id : prompt) {
            if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
        }
        int max = Math.min(cfg.maxNewTokens(), c.nCtx() - prompt.length);
        if (prompt.length > c.nCtx()) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds context " + c.nCtx());
        int[] tokens = Arrays.copyOf(prompt, prompt.length + Math.max(max, 0));
        float[] stepLogits = new float[Math.max(max, 0) * c.vocabSize()];
        Sampler sampler = new Sampler(cfg);
        int len = prompt.length;
        int made = 0;
        try (NDManager sub = model.manager().newSubManager(); KvCache cache = new KvCache(sub, c.nLayers())) {
            int[] input = prompt;
            while (made < max) {
                float[] last;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    long[] ids = new long[input.length];
                    for (int i = 0; i < ids.length; i++) ids[i] = input[i];
                    NDArray x = sub.create(ids, new Shape(1, ids.length));
                    int offset = cache.length();
                    NDArray logits = TransformerForward.forward(model.params(), x, offset, new int[]{offset + ids.length},
                            false, hooks, cache);
                    last = logits.get(new NDIndex("0, -1")).toFloatArray();
                }
                int next = sampler.next(last);
                System.arraycopy(last, 0, stepLogits, made * c.vocabSize(), c.vocabSize());
                tokens[len++] = next;
                made++;
                if (cfg.stopAtEos() && next == c.eosId() && c.eosId() >= 0) break;
                if (cfg.stopAtBos() && next == c.bosId() && c.bosId() >= 0) break;
                input = new int[]{next};
            }
        }
        int[] out = Arrays.copyOf(tokens, len);
        String text = null;
        if (model.tokenizer() != null) {
            int[] gen = Arrays.copyOfRange(out, prompt.length, out.length);
            // decode with the last prompt token as context so "drop the space after BOS" applies correctly
            int[] withCtx = new int[gen.length + 1];
            withCtx[0] = prompt[prompt.length - 1];
            System.arraycopy(gen, 0, withCtx, 1, gen.length);
            String full = model.tokenizer().decode(withCtx);
            String ctx = model.tokenizer().decode(new int[]{prompt[prompt.length - 1]});
            text = full.startsWith(ctx) ? full.substring(ctx.length()) : model.tokenizer().decode(gen);
        }
        return new GenerationResult(out, prompt.length, new Tensor(Arrays.copyOf(stepLogits, made * c.vocabSize()), made,
                c.vocabSize()), text);
    }
}
