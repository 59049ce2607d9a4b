package io.latentwatch.cli.demo;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.TokenContext;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.trainer.ArrayActivationSource;
import io.latentwatch.trainer.HookedTransformerActivationModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * A prompt corpus's activations at one hook, computed in right-padded batches (one forward per
 * {@code batch} prompts instead of one per prompt: the demo's trainer run must stay short on two
 * cores) and kept in memory, BOS positions skipped as in {@link io.latentwatch.trainer.PromptActivationSource}.
 * Padded positions are dropped; real tokens' activations equal single-prompt runs (the runtime masks
 * padded keys).
 */
public final class BatchedActivations {
    private final float[] rows;
    private final int d;
    private final List<TokenContext> contexts;

    private BatchedActivations(float[] rows, int d, List<TokenContext> contexts) {
        this.rows = rows;
        this.d = d;
        this.contexts = contexts;
    }

    public static BatchedActivations compute(HookedTransformer m, String hook, List<String> prompts, int batch, Lock lock) {
        int d = m.config().dModel();
        float[] out = new float[0];
        int n = 0;
        List<TokenContext> ctx = new ArrayList<>();
        for (int from = 0; from < prompts.size(); from += batch) {
            List<String> part = prompts.subList(from, Math.min(prompts.size(), from + batch));
            int[][] toks = new int[part.size()][];
            for (int i = 0; i < toks.length; i++) toks[i] = HookedTransformerActivationModel.fitContext(m, m.toTokens(part.get(i)));
            Tensor a = HookedTransformerActivationModel.cacheHook(m, lock, toks, hook);
            int maxLen = a.shape()[1];
            for (int b = 0; b < toks.length; b++) {
                String[] strings = new String[toks[b].length];
                for (int p = 0; p < strings.length; p++) strings[p] = m.tokenizer().tokenString(toks[b][p]);
                for (int p = toks[b].length > 1 ? 1 : 0; p < toks[b].length; p++) {
                    if ((n + 1) * d > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, 1024 * d));
                    System.arraycopy(a.data(), (b * maxLen + p) * d, out, n * d, d);
                    ctx.add(TokenContext.of(strings, from + b, p));
                    n++;
                }
            }
        }
        return new BatchedActivations(Arrays.copyOf(out, n * d), d, ctx);
    }

    public int rows() { return contexts.size(); }

    /** A fresh source over the rows (the trainer may ask for one per epoch). */
    public ArrayActivationSource source() {
        return new ArrayActivationSource(rows, d, contexts);
    }
}
