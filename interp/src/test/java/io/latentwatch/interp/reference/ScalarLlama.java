package io.latentwatch.interp.reference;

import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.latentwatch.interp.reference.ScalarMath.*;

/**
 * An independent, double-precision, loop-by-loop Llama forward pass written from the architecture
 * definition (Touvron et al. 2023; llama2.c run.c; HF modeling_llama): pre-norm blocks with RMSNorm,
 * rotary position embeddings (Su et al. 2021, theta from the config), grouped-query attention
 * (Ainslie et al. 2023; query head h reads kv head h / (n_heads / n_kv_heads)), causal softmax with
 * 1/sqrt(d_head) scaling, SwiGLU MLP w2(silu(w1 x) * w3 x) (Shazeer 2020), final RMSNorm and a
 * (tied or separate) classifier. Shares no code with the DJL runtime.
 *
 * <p>Both RoPE conventions are implemented explicitly: llama2.c rotates adjacent pairs
 * (x[2i], x[2i+1]); Hugging Face rotates halves (x[i], x[i + d_head/2]). Frequencies are
 * theta^(-2i/d_head) for pair i in both.
 *
 * <p>Hooks follow TransformerLens: hook_embed, blocks.L.hook_resid_pre, blocks.L.ln1.hook_normalized
 * (RMSNorm output before the gain, as TL's RMSNorm), attn.hook_q/k/v [pos, head, d_head] (before
 * rotation; k/v have n_kv_heads heads), attn.hook_rot_q/rot_k, attn.hook_attn_scores [head, q, k]
 * (scaled, -inf above the diagonal), attn.hook_pattern [head, q, k],
 * attn.hook_z [pos, head, d_head], attn.hook_result [pos, head, d_model], hook_attn_out,
 * hook_resid_mid, mlp.hook_pre (w1 x), mlp.hook_pre_linear (w3 x), mlp.hook_post
 * (silu(w1 x) * w3 x), hook_mlp_out, hook_resid_post, ln_final.hook_normalized (before the gain).
 */
public final class ScalarLlama {

    /** Which pairs of a head's dimensions rotary embeddings rotate together. */
    public enum Rope { ADJACENT_PAIRS, ROTATE_HALF }

    public record Config(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                         double eps, double theta, Rope rope) {
        public int headDim() { return dim / nHeads; }
        public int kvDim() { return nKvHeads * headDim(); }
    }

    /** Weights, matrices row-major [out, in]. {@code classifier} is the embedding itself when tied. */
    public static final class Weights {
        public float[] tokenEmbedding;
        public float[][] rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3;
        public float[] rmsFinal;
        public float[] classifier;

        public Weights(int nLayers) {
            rmsAtt = new float[nLayers][]; wq = new float[nLayers][]; wk = new float[nLayers][];
            wv = new float[nLayers][]; wo = new float[nLayers][]; rmsFfn = new float[nLayers][];
            w1 = new float[nLayers][]; w2 = new float[nLayers][]; w3 = new float[nLayers][];
        }
    }

    public record Result(RefTensor logits, Map<String, RefTensor> hooks) {}

    private final Config c;
    private final Weights w;

    public ScalarLlama(Config config, Weights weights) {
        this.c = config;
        this.w = weights;
    }

    public Config config() { return c; }

    public Weights weights() { return w; }

    /**
     * Reads HF tensor names (model.embed_tokens.weight, model.layers.{i}.self_attn.q_proj.weight, ...)
     * from an in-memory map; HF checkpoints use rotate-half RoPE.
     */
    public static ScalarLlama fromHf(Map<String, Tensor> t, int nHeads, int nKvHeads, double eps, double theta) {
        float[] emb = t.get("model.embed_tokens.weight").data();
        int dim = t.get("model.embed_tokens.weight").dim(1);
        int vocab = t.get("model.embed_tokens.weight").dim(0);
        int layers = 0;
        while (t.containsKey("model.layers." + layers + ".self_attn.q_proj.weight")) layers++;
        int hidden = t.get("model.layers.0.mlp.gate_proj.weight").dim(0);
        Weights w = new Weights(layers);
        w.tokenEmbedding = emb;
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            w.wq[l] = t.get(p + "self_attn.q_proj.weight").data();
            w.wk[l] = t.get(p + "self_attn.k_proj.weight").data();
            w.wv[l] = t.get(p + "self_attn.v_proj.weight").data();
            w.wo[l] = t.get(p + "self_attn.o_proj.weight").data();
            w.w1[l] = t.get(p + "mlp.gate_proj.weight").data();
            w.w3[l] = t.get(p + "mlp.up_proj.weight").data();
            w.w2[l] = t.get(p + "mlp.down_proj.weight").data();
            w.rmsAtt[l] = t.get(p + "input_layernorm.weight").data();
            w.rmsFfn[l] = t.get(p + "post_attention_layernorm.weight").data();
        }
        w.rmsFinal = t.get("model.norm.weight").data();
        w.classifier = t.containsKey("lm_head.weight") ? t.get("lm_head.weight").data() : emb;
        return new ScalarLlama(new Config(dim, hidden, layers, nHeads, nKvHeads, vocab, eps, theta, Rope.ROTATE_HALF), w);
    }

    /** Applies rotary embeddings in place to one head's vector at position {@code pos}. */
    static void rotate(double[] x, int off, int headDim, int pos, double theta, Rope rope) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            double freq = Math.pow(theta, -2.0 * i / headDim);
            double a = pos * freq, cos = Math.cos(a), sin = Math.sin(a);
            int i0, i1;
            if (rope == Rope.ADJACENT_PAIRS) { i0 = off + 2 * i; i1 = off + 2 * i + 1; }
            else { i0 = off + i; i1 = off + i + half; }
            double x0 = x[i0], x1 = x[i1];
            x[i0] = x0 * cos - x1 * sin;
            x[i1] = x0 * sin + x1 * cos;
        }
    }

    public Result forward(int[] tokens) {
        return forward(tokens, null);
    }

    /** Forward pass with an optional intervention on the writable hooks (see {@link Intervention}). */
    public Result forward(int[] tokens, Intervention iv) {
        int T = tokens.length, d = c.dim(), hd = c.headDim(), H = c.nHeads(), KV = c.nKvHeads();
        int kvDim = c.kvDim(), group = H / KV, hid = c.hiddenDim(), V = c.vocabSize();
        Map<String, RefTensor> hooks = new LinkedHashMap<>();
        double[][] x = new double[T][d];
        for (int t = 0; t < T; t++) {
            if (tokens[t] < 0 || tokens[t] >= V) throw new IllegalArgumentException("token " + tokens[t] + " outside vocab " + V);
            for (int i = 0; i < d; i++) x[t][i] = w.tokenEmbedding[tokens[t] * d + i];
        }
        x = fireRows("hook_embed", x, hooks, iv);
        for (int l = 0; l < c.nLayers(); l++) {
            String b = "blocks." + l + ".";
            x = fireRows(b + "hook_resid_pre", x, hooks, iv);
            double[][] n1 = new double[T][], q = new double[T][], k = new double[T][], v = new double[T][];
            double[][] qr = new double[T][], kr = new double[T][];
            for (int t = 0; t < T; t++) {
                n1[t] = rmsNormalize(x[t], c.eps());
                double[] xn = scale(n1[t], w.rmsAtt[l]);
                q[t] = linear(w.wq[l], d, d, xn);
                k[t] = linear(w.wk[l], kvDim, d, xn);
                v[t] = linear(w.wv[l], kvDim, d, xn);
                qr[t] = q[t].clone();
                kr[t] = k[t].clone();
                for (int h = 0; h < H; h++) rotate(qr[t], h * hd, hd, t, c.theta(), c.rope());
                for (int h = 0; h < KV; h++) rotate(kr[t], h * hd, hd, t, c.theta(), c.rope());
            }
            hooks.put(b + "ln1.hook_normalized", RefTensor.ofRows(n1));
            hooks.put(b + "attn.hook_q", new RefTensor(RefTensor.ofRows(q).data(), T, H, hd));
            hooks.put(b + "attn.hook_k", new RefTensor(RefTensor.ofRows(k).data(), T, KV, hd));
            hooks.put(b + "attn.hook_v", new RefTensor(RefTensor.ofRows(v).data(), T, KV, hd));
            hooks.put(b + "attn.hook_rot_q", new RefTensor(RefTensor.ofRows(qr).data(), T, H, hd));
            hooks.put(b + "attn.hook_rot_k", new RefTensor(RefTensor.ofRows(kr).data(), T, KV, hd));
            double[] pattern = new double[H * T * T], scores = new double[H * T * T];
            double[][][] z = new double[T][H][hd];
            double inv = 1.0 / Math.sqrt(hd);
            for (int h = 0; h < H; h++) {
                int kvh = h / group;
                for (int t = 0; t < T; t++) {
                    double[] s = new double[T];
                    for (int u = 0; u <= t; u++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += qr[t][h * hd + i] * kr[u][kvh * hd + i];
                        s[u] = dot * inv;
                    }
                    for (int u = 0; u < T; u++) scores[(h * T + t) * T + u] = u <= t ? s[u] : Double.NEGATIVE_INFINITY;
                    double[] p = softmaxPrefix(s, t + 1);
                    System.arraycopy(p, 0, pattern, (h * T + t) * T, T);
                    for (int u = 0; u <= t; u++) for (int i = 0; i < hd; i++) z[t][h][i] += p[u] * v[u][kvh * hd + i];
                }
            }
            hooks.put(b + "attn.hook_attn_scores", new RefTensor(scores, H, T, T));
            hooks.put(b + "attn.hook_pattern", new RefTensor(pattern, H, T, T));
            z = firePosHead(b + "attn.hook_z", z, hooks, iv);
            double[][][] result = new double[T][H][d];
            double[][] attnOut = new double[T][d];
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < H; h++) {
                    // head h's share of o_proj: columns h*hd .. h*hd+hd of W_O [d, d]
                    for (int o = 0; o < d; o++) {
                        double s = 0;
                        for (int i = 0; i < hd; i++) s += w.wo[l][o * d + h * hd + i] * z[t][h][i];
                        result[t][h][o] = s;
                        attnOut[t][o] += s;
                    }
                }
            }
            hooks.put(b + "attn.hook_result", RefTensor.ofPosHead(result));
            attnOut = fireRows(b + "hook_attn_out", attnOut, hooks, iv);
            double[][] mid = new double[T][];
            for (int t = 0; t < T; t++) mid[t] = add(x[t], attnOut[t]);
            mid = fireRows(b + "hook_resid_mid", mid, hooks, iv);
            double[][] n2 = new double[T][], pre = new double[T][], preLin = new double[T][], post = new double[T][], mlpOut = new double[T][];
            for (int t = 0; t < T; t++) {
                n2[t] = rmsNormalize(mid[t], c.eps());
                double[] xn = scale(n2[t], w.rmsFfn[l]);
                pre[t] = linear(w.w1[l], hid, d, xn);
                preLin[t] = linear(w.w3[l], hid, d, xn);
                post[t] = new double[hid];
                for (int i = 0; i < hid; i++) post[t][i] = silu(pre[t][i]) * preLin[t][i];
            }
            hooks.put(b + "ln2.hook_normalized", RefTensor.ofRows(n2));
            hooks.put(b + "mlp.hook_pre", RefTensor.ofRows(pre));
            hooks.put(b + "mlp.hook_pre_linear", RefTensor.ofRows(preLin));
            post = fireRows(b + "mlp.hook_post", post, hooks, iv);
            for (int t = 0; t < T; t++) mlpOut[t] = linear(w.w2[l], d, hid, post[t]);
            mlpOut = fireRows(b + "hook_mlp_out", mlpOut, hooks, iv);
            for (int t = 0; t < T; t++) x[t] = add(mid[t], mlpOut[t]);
            x = fireRows(b + "hook_resid_post", x, hooks, iv);
        }
        double[][] nf = new double[T][], logits = new double[T][];
        for (int t = 0; t < T; t++) {
            nf[t] = rmsNormalize(x[t], c.eps());
            logits[t] = linear(w.classifier, V, d, scale(nf[t], w.rmsFinal));
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
