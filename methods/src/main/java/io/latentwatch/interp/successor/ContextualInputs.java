package io.latentwatch.interp.successor;

import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A variant of the effective embedding for deeper small models: what a head of layer l really reads at token t,
 * the runtime's blocks.l.hook_resid_pre at the token's position in the two-token prompt [BOS, t] (every earlier
 * attention and MLP applied). The paper's MLP0-only approximation ignores layers 1..l-1, which in a 4-layer model
 * rewrite much of the residual stream; this variant is reported beside it, never instead of it.
 */
public final class ContextualInputs {
    private final Map<Integer, float[][]> byToken = new HashMap<>(); // token -> [layer][d]
    private final ModelConfig c;

    public ContextualInputs(HookedTransformer model, int[] tokens) {
        this.c = model.config();
        List<String> hooks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) hooks.add("blocks." + l + ".hook_resid_pre");
        int bos = c.bosId();
        int off = bos >= 0 ? 1 : 0, T = off + 1, d = c.dModel();
        for (int b0 = 0; b0 < tokens.length; b0 += 64) {
            int n = Math.min(64, tokens.length - b0);
            int[][] batch = new int[n][];
            for (int i = 0; i < n; i++) batch[i] = bos >= 0 ? new int[] {bos, tokens[b0 + i]} : new int[] {tokens[b0 + i]};
            ForwardResult r = model.runWithCache(batch, hooks);
            for (int i = 0; i < n; i++) {
                float[][] per = new float[c.nLayers()][d];
                for (int l = 0; l < c.nLayers(); l++)
                    System.arraycopy(r.cache().get("blocks." + l + ".hook_resid_pre").data(), (i * T + off) * d, per[l], 0, d);
                byToken.put(tokens[b0 + i], per);
            }
        }
    }

    /** [n][d]: the residual stream layer {@code layer} reads at each token. */
    public float[][] inputs(int layer, int[] ids) {
        float[][] out = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            float[][] per = byToken.get(ids[i]);
            if (per == null) throw new IllegalArgumentException("token " + ids[i] + " was not traced");
            out[i] = per[layer].clone();
        }
        return out;
    }
}
