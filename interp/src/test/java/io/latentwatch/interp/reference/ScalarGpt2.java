package io.latentwatch.interp.reference;

import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.latentwatch.interp.reference.ScalarMath.*;

/**
 * An independent, double-precision, loop-by-loop GPT-2 forward pass written from the architecture
 * definition (Radford et al. 2019; HF modeling_gpt2): token + learned position embeddings, pre-norm
 * blocks with LayerNorm (eps from the config, 1e-5 for GPT-2), fused qkv projection stored as a
 * Conv1D weight [d, 3d] (y = x W + b; q, k, v are the three consecutive d-wide slices, head h the
 * d_head-wide slice h of each), causal softmax with 1/sqrt(d_head) scaling, output projection,
 * MLP c_proj(gelu_new(c_fc x)) with the tanh GELU approximation, final LayerNorm and an lm head
 * tied to wte. Shares no code with the DJL runtime.
 *
 * <p>Hooks follow TransformerLens: hook_embed, hook_pos_embed, blocks.L.hook_resid_pre,
 * ln1.hook_normalized (before gain and bias, as TL's LayerNormPre in a from_pretrained model with
 * fold_ln; the runtime documents the same), attn.hook_q/k/v [pos, head, d_head],
 * attn.hook_attn_scores [head, q, k] (scaled, -inf above the diagonal), attn.hook_pattern [head, q, k], attn.hook_z [pos, head, d_head], attn.hook_result
 * [pos, head, d_model] (without c_proj's bias), hook_attn_out (with it), hook_resid_mid,
 * ln2.hook_normalized, mlp.hook_pre, mlp.hook_post, hook_mlp_out, hook_resid_post,
 * ln_final.hook_normalized.
 */
public final class ScalarGpt2 {
    /** {@code dMlp} is n_inner (4 * n_embd when the config leaves it null). */
    public record Config(int dim, int dMlp, int nLayers, int nHeads, int nPositions, int vocabSize, double eps) {
        public int headDim() { return dim / nHeads; }
    }

    public static final class Layer {
        public float[] ln1W, ln1B, attnW, attnB, projW, projB, ln2W, ln2B, fcW, fcB, fcProjW, fcProjB;
    }

    public record Result(RefTensor logits, Map<String, RefTensor> hooks) {}

    private final Config c;
    private final float[] wte, wpe, lnfW, lnfB;
    private final Layer[] layers;

    public ScalarGpt2(Config c, float[] wte, float[] wpe, Layer[] layers, float[] lnfW, float[] lnfB) {
        this.c = c;
        this.wte = wte;
        this.wpe = wpe;
        this.layers = layers;
        this.lnfW = lnfW;
        this.lnfB = lnfB;
    }

    public Config config() { return c; }

    public Layer layer(int l) { return layers[l]; }

    /** Reads HF GPT-2 tensor names (with or without the {@code transformer.} prefix) from memory. */
    public static ScalarGpt2 fromHf(Map<String, Tensor> t, int nHeads, double eps) {
        String pre = t.containsKey("wte.weight") ? "" : "transformer.";
        Tensor wte = t.get(pre + "wte.weight"), wpe = t.get(pre + "wpe.weight");
        int n = 0;
        while (t.containsKey(pre + "h." + n + ".ln_1.weight")) n++;
        Layer[] ls = new Layer[n];
        for (int l = 0; l < n; l++) {
            String p = pre + "h." + l + ".";
            Layer L = new Layer();
            L.ln1W = t.get(p + "ln_1.weight").data(); L.ln1B = t.get(p + "ln_1.bias").data();
            L.attnW = t.get(p + "attn.c_attn.weight").data(); L.attnB = t.get(p + "attn.c_attn.bias").data();
            L.projW = t.get(p + "attn.c_proj.weight").data(); L.projB = t.get(p + "attn.c_proj.bias").data();
            L.ln2W = t.get(p + "ln_2.weight").data(); L.ln2B = t.get(p + "ln_2.bias").data();
            L.fcW = t.get(p + "mlp.c_fc.weight").data(); L.fcB = t.get(p + "mlp.c_fc.bias").data();
            L.fcProjW = t.get(p + "mlp.c_proj.weight").data(); L.fcProjB = t.get(p + "mlp.c_proj.bias").data();
            ls[l] = L;
        }
        int dMlp = n == 0 ? 4 * wte.dim(1) : t.get(pre + "h.0.mlp.c_fc.weight").dim(1);
        Config c = new Config(wte.dim(1), dMlp, n, nHeads, wpe.dim(0), wte.dim(0), eps);
        return new ScalarGpt2(c, wte.data(), wpe.data(), ls, t.get(pre + "ln_f.weight").data(), t.get(pre + "ln_f.bias").data());
    }

    public Result forward(int[] tokens) {
        return forward(tokens, null);
    }

    /** Forward pass with an optional intervention on the writable hooks (see {@link Intervention}). */
    public Result forward(int[] tokens, Intervention iv) {
        int T = tokens.length, d = c.dim(), H = c.nHeads(), hd = c.headDim(), V = c.vocabSize();
        if (T > c.nPositions()) throw new IllegalArgumentException(T + " tokens exceed n_positions " + c.nPositions());
        Map<String, RefTensor> hooks = new LinkedHashMap<>();
        double[][] tok = new double[T][d], pos = new double[T][d], x = new double[T][];
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < d; i++) {
                tok[t][i] = wte[tokens[t] * d + i];
                pos[t][i] = wpe[t * d + i];
            }
        }
        tok = fireRows("hook_embed", tok, hooks, iv);
        hooks.put("hook_pos_embed", RefTensor.ofRows(pos));
        for (int t = 0; t < T; t++) x[t] = add(tok[t], pos[t]);
        for (int l = 0; l < c.nLayers(); l++) {
            Layer L = layers[l];
            String b = "blocks." + l + ".";
            x = fireRows(b + "hook_resid_pre", x, hooks, iv);
            double[][] n1 = new double[T][], qkv = new double[T][];
            for (int t = 0; t < T; t++) {
                n1[t] = layerNormalize(x[t], c.eps());
                qkv[t] = conv1d(L.attnW, L.attnB, d, 3 * d, affine(n1[t], L.ln1W, L.ln1B));
            }
            hooks.put(b + "ln1.hook_normalized", RefTensor.ofRows(n1));
            double[] q = new double[T * d], k = new double[T * d], v = new double[T * d];
            for (int t = 0; t < T; t++) {
                System.arraycopy(qkv[t], 0, q, t * d, d);
                System.arraycopy(qkv[t], d, k, t * d, d);
                System.arraycopy(qkv[t], 2 * d, v, t * d, d);
            }
            hooks.put(b + "attn.hook_q", new RefTensor(q, T, H, hd));
            hooks.put(b + "attn.hook_k", new RefTensor(k, T, H, hd));
            hooks.put(b + "attn.hook_v", new RefTensor(v, T, H, hd));
            double[] pattern = new double[H * T * T], scores = new double[H * T * T];
            double[][][] z = new double[T][H][hd];
            double inv = 1.0 / Math.sqrt(hd);
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    double[] s = new double[T];
                    for (int u = 0; u <= t; u++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t * d + h * hd + i] * k[u * d + h * hd + i];
                        s[u] = dot * inv;
                    }
                    for (int u = 0; u < T; u++) scores[(h * T + t) * T + u] = u <= t ? s[u] : Double.NEGATIVE_INFINITY;
                    double[] p = softmaxPrefix(s, t + 1);
                    System.arraycopy(p, 0, pattern, (h * T + t) * T, T);
                    for (int u = 0; u <= t; u++) for (int i = 0; i < hd; i++) z[t][h][i] += p[u] * v[u * d + h * hd + i];
                }
            }
            hooks.put(b + "attn.hook_attn_scores", new RefTensor(scores, H, T, T));
            hooks.put(b + "attn.hook_pattern", new RefTensor(pattern, H, T, T));
            z = firePosHead(b + "attn.hook_z", z, hooks, iv);
            double[][][] result = new double[T][H][d];
            double[][] attnOut = new double[T][d];
            for (int t = 0; t < T; t++) {
                for (int o = 0; o < d; o++) attnOut[t][o] = L.projB[o];
                for (int h = 0; h < H; h++) {
                    // head h's share of c_proj: rows h*hd .. h*hd+hd of the Conv1D weight [d, d]
                    for (int i = 0; i < hd; i++) {
                        double zi = z[t][h][i];
                        int row = (h * hd + i) * d;
                        for (int o = 0; o < d; o++) result[t][h][o] += zi * L.projW[row + o];
                    }
                    for (int o = 0; o < d; o++) attnOut[t][o] += result[t][h][o];
                }
            }
            hooks.put(b + "attn.hook_result", RefTensor.ofPosHead(result));
            attnOut = fireRows(b + "hook_attn_out", attnOut, hooks, iv);
            double[][] mid = new double[T][];
            for (int t = 0; t < T; t++) mid[t] = add(x[t], attnOut[t]);
            mid = fireRows(b + "hook_resid_mid", mid, hooks, iv);
            double[][] n2 = new double[T][], pre = new double[T][], post = new double[T][], out = new double[T][];
            for (int t = 0; t < T; t++) {
                n2[t] = layerNormalize(mid[t], c.eps());
                pre[t] = conv1d(L.fcW, L.fcB, d, c.dMlp(), affine(n2[t], L.ln2W, L.ln2B));
                post[t] = new double[c.dMlp()];
                for (int i = 0; i < c.dMlp(); i++) post[t][i] = geluNew(pre[t][i]);
            }
            hooks.put(b + "ln2.hook_normalized", RefTensor.ofRows(n2));
            hooks.put(b + "mlp.hook_pre", RefTensor.ofRows(pre));
            post = fireRows(b + "mlp.hook_post", post, hooks, iv);
            for (int t = 0; t < T; t++) out[t] = conv1d(L.fcProjW, L.fcProjB, c.dMlp(), d, post[t]);
            out = fireRows(b + "hook_mlp_out", out, hooks, iv);
            for (int t = 0; t < T; t++) x[t] = add(mid[t], out[t]);
            x = fireRows(b + "hook_resid_post", x, hooks, iv);
        }
        double[][] nf = new double[T][], logits = new double[T][];
        for (int t = 0; t < T; t++) {
            nf[t] = layerNormalize(x[t], c.eps());
            logits[t] = linear(wte, V, d, affine(nf[t], lnfW, lnfB)); // tied lm head: logits = ln_f(x) . wte^T
        }
        hooks.put("ln_final.hook_normalized", RefTensor.ofRows(nf));
        return new Result(RefTensor.ofRows(logits), hooks);
    }

    /** Records {@code v} under {@code name}, letting the intervention replace it; returns the rows to continue with. */
    private static double[][] fireRows(String name, double[][] v, Map<String, RefTensor> hooks, Intervention iv) {
        RefTensor t = RefTensor.ofRows(v);
        if (iv != null) {
            RefTensor r = iv.apply(name, t);
            if (r != t) {
                if (!Arrays.equals(r.shape(), t.shape())) throw new IllegalArgumentException(
                        name + ": intervention returned shape " + Arrays.toString(r.shape()) + " for " + Arrays.toString(t.shape()));
                t = r;
                v = new double[v.length][];
                for (int i = 0; i < v.length; i++) v[i] = r.row(i);
            }
        }
        hooks.put(name, t);
        return v;
    }

    private static double[][][] firePosHead(String name, double[][][] v, Map<String, RefTensor> hooks, Intervention iv) {
        RefTensor t = RefTensor.ofPosHead(v);
        if (iv != null) {
            RefTensor r = iv.apply(name, t);
            if (r != t) {
                if (!Arrays.equals(r.shape(), t.shape())) throw new IllegalArgumentException(
                        name + ": intervention returned shape " + Arrays.toString(r.shape()) + " for " + Arrays.toString(t.shape()));
                t = r;
                int H = v[0].length, e = v[0][0].length;
                v = new double[v.length][H][e];
                for (int p = 0; p < v.length; p++) for (int h = 0; h < H; h++) System.arraycopy(r.data(), (p * H + h) * e, v[p][h], 0, e);
            }
        }
        hooks.put(name, t);
        return v;
    }
}
