package io.latentwatch.interp.paths;

import io.latentwatch.interp.hooks.ActivationCache;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's run through the runtime, decomposed into component outputs (the direct-path
 * decomposition of the residual stream, Elhage et al. 2021): embed (+ positions), every head's
 * hook_result, every MLP's hook_mlp_out, plus the residual streams each component reads and the logits.
 * resid_pre[l] = embed + sum over earlier layers of (heads + b_O + MLP); {@link #decompose} rebuilds it.
 */
public final class ComponentTrace {
    public final int[] tokens;
    public final float[][] embed;           // [T][d]
    public final float[][][][] result;      // [L][H][T][d]
    public final float[][][] mlpOut;        // [L][T][d]
    public final float[][][] residPre;      // [L][T][d]
    public final float[][][] residMid;      // [L][T][d]
    public final float[][] residFinal;      // [T][d]
    public final float[][] logits;          // [T][V]

    private ComponentTrace(int[] tokens, float[][] embed, float[][][][] result, float[][][] mlpOut, float[][][] residPre,
                           float[][][] residMid, float[][] residFinal, float[][] logits) {
        this.tokens = tokens;
        this.embed = embed;
        this.result = result;
        this.mlpOut = mlpOut;
        this.residPre = residPre;
        this.residMid = residMid;
        this.residFinal = residFinal;
        this.logits = logits;
    }

    /** Hook names the trace needs. */
    public static List<String> hookNames(ModelConfig c) {
        List<String> n = new ArrayList<>();
        n.add("hook_embed");
        if (!c.isLlama()) n.add("hook_pos_embed");
        for (int l = 0; l < c.nLayers(); l++) {
            n.add("blocks." + l + ".hook_resid_pre");
            n.add("blocks." + l + ".hook_resid_mid");
            n.add("blocks." + l + ".attn.hook_result");
            n.add("blocks." + l + ".hook_mlp_out");
        }
        n.add("blocks." + (c.nLayers() - 1) + ".hook_resid_post");
        return n;
    }

    /** Runs equal-length sequences through the runtime in batches and traces each. */
    public static List<ComponentTrace> run(HookedTransformer model, List<int[]> seqs, int batchSize) {
        List<ComponentTrace> out = new ArrayList<>();
        ModelConfig c = model.config();
        for (int b0 = 0; b0 < seqs.size(); b0 += batchSize) {
            int n = Math.min(batchSize, seqs.size() - b0);
            int[][] batch = new int[n][];
            for (int i = 0; i < n; i++) {
                batch[i] = seqs.get(b0 + i);
                if (batch[i].length != batch[0].length)
                    throw new IllegalArgumentException("path patching needs equal-length prompts: prompt " + (b0 + i) + " has "
                            + batch[i].length + " tokens, prompt " + b0 + " has " + batch[0].length);
            }
            ForwardResult r = model.runWithCache(batch, hookNames(c));
            for (int i = 0; i < n; i++) {
                ComponentTrace t = from(c, batch[i], r, i);
                // the logits of a plain single-prompt forward, not of the hooked batch (hook_result sums heads one by
                // one: float rounding differs by ~1e-5): a node no path touches is then exactly the reference run
                float[] plain = model.logits(batch[i]).data();
                int V = c.vocabSize();
                for (int p = 0; p < t.logits.length; p++) System.arraycopy(plain, p * V, t.logits[p], 0, V);
                out.add(t);
            }
        }
        return out;
    }

    private static ComponentTrace from(ModelConfig c, int[] tokens, ForwardResult r, int row) {
        ActivationCache k = r.cache();
        int L = c.nLayers(), H = c.nHeads(), T = tokens.length, d = c.dModel(), V = c.vocabSize();
        float[][] embed = rows(k.get("hook_embed"), row, T, d);
        if (!c.isLlama()) {
            float[][] pos = rows(k.get("hook_pos_embed"), row, T, d);
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) embed[t][i] += pos[t][i];
        }
        float[][][][] result = new float[L][H][T][d];
        float[][][] mlp = new float[L][][], pre = new float[L][][], mid = new float[L][][];
        for (int l = 0; l < L; l++) {
            float[] res = k.get("blocks." + l + ".attn.hook_result").data(); // [B, T, H, d]
            for (int t = 0; t < T; t++)
                for (int h = 0; h < H; h++)
                    System.arraycopy(res, (((row * T) + t) * H + h) * d, result[l][h][t], 0, d);
            mlp[l] = rows(k.get("blocks." + l + ".hook_mlp_out"), row, T, d);
            pre[l] = rows(k.get("blocks." + l + ".hook_resid_pre"), row, T, d);
            mid[l] = rows(k.get("blocks." + l + ".hook_resid_mid"), row, T, d);
        }
        float[][] fin = rows(k.get("blocks." + (L - 1) + ".hook_resid_post"), row, T, d);
        float[][] logits = rows(r.logits(), row, T, V);
        return new ComponentTrace(tokens.clone(), embed, result, mlp, pre, mid, fin, logits);
    }

    private static float[][] rows(Tensor t, int row, int T, int w) {
        float[] a = t.data();
        float[][] out = new float[T][w];
        for (int i = 0; i < T; i++) System.arraycopy(a, (row * T + i) * w, out[i], 0, w);
        return out;
    }

    public int length() { return tokens.length; }

    /** The output a component writes into the residual stream (the logits for {@link Component#LOGITS}). */
    public float[][] output(Component c) {
        return switch (c.kind()) {
            case EMBED -> embed;
            case HEAD -> result[c.layer()][c.head()];
            case MLP -> mlpOut[c.layer()];
            case LOGITS -> logits;
        };
    }

    /** The residual stream a component reads: resid_pre for heads, resid_mid for MLPs, the final stream for logits. */
    public float[][] input(Component c) {
        return switch (c.kind()) {
            case EMBED -> throw new IllegalArgumentException("the embedding reads no residual stream");
            case HEAD -> residPre[c.layer()];
            case MLP -> residMid[c.layer()];
            case LOGITS -> residFinal;
        };
    }

    /**
     * The sum of the outputs of every component that feeds {@code receiver} plus the constant attention
     * biases: equals {@link #input} up to float rounding (the direct-path decomposition, tested).
     */
    public float[][] decompose(ComponentMath math, Component receiver) {
        ModelConfig c = math.config();
        int T = length(), d = c.dModel();
        float[][] sum = new float[T][d];
        for (Component s : Component.senders(c, receiver)) add(sum, output(s), 1f);
        for (int l = 0; l < c.nLayers(); l++) {
            if (!Component.head(l, 0).feeds(receiver)) continue;
            float[] b = math.attnBias(l);
            for (float[] row : sum) for (int i = 0; i < d; i++) row[i] += b[i];
        }
        return sum;
    }

    static void add(float[][] acc, float[][] x, float scale) {
        for (int t = 0; t < acc.length; t++) for (int i = 0; i < acc[t].length; i++) acc[t][i] += scale * x[t][i];
    }
}
