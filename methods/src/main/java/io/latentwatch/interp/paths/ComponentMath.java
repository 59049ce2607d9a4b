package io.latentwatch.interp.paths;

import io.latentwatch.interp.model.LayerWeights;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.ModelWeights;
import io.latentwatch.interp.tensor.Tensor;

/**
 * Plain-Java recomputation of single components from arbitrary residual-stream inputs: one head from
 * separate query, key and value inputs, one MLP, the logits. The DJL runtime computes a whole layer
 * from one residual stream, so it cannot give a head different q/k/v inputs (what treeified path
 * patching needs); this class is that missing piece, written from the same definitions as
 * {@code TransformerForward} (RMSNorm/LayerNorm with gain [and bias], rotate-half RoPE, grouped-query
 * sharing, SwiGLU / GELU-tanh MLP). Tests check it against the runtime's hook_result, hook_mlp_out and
 * logits. Activations are [pos][d_model] arrays of one sequence; positions start at 0.
 */
public final class ComponentMath {
    private final ModelWeights w;
    private final ModelConfig c;
    private final float[] ropeCos, ropeSin;

    public ComponentMath(ModelWeights weights) {
        this.w = weights;
        this.c = weights.config();
        int dh = c.dHead(), half = dh / 2, n = c.nCtx();
        ropeCos = new float[c.isLlama() ? n * dh : 0];
        ropeSin = new float[ropeCos.length];
        if (c.isLlama()) {
            // the runtime's float32 tables (TransformerParams.initRope)
            for (int j = 0; j < half; j++) {
                float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * j) / dh));
                for (int pos = 0; pos < n; pos++) {
                    float v = pos * freq;
                    ropeCos[pos * dh + j] = ropeCos[pos * dh + half + j] = (float) Math.cos(v);
                    ropeSin[pos * dh + j] = ropeSin[pos * dh + half + j] = (float) Math.sin(v);
                }
            }
        }
    }

    public ModelConfig config() { return c; }

    public ModelWeights weights() { return w; }

    /** Norm with gain (and bias for LayerNorm) of every row. */
    public float[][] norm(float[][] x, Tensor gain, Tensor bias) {
        int d = c.dModel();
        float[][] out = new float[x.length][d];
        float[] g = gain.data(), b = bias == null ? null : bias.data();
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            if (!c.isLlama()) {
                for (int i = 0; i < d; i++) mean += x[t][i];
                mean /= d;
            }
            double ss = 0;
            for (int i = 0; i < d; i++) { double v = x[t][i] - mean; ss += v * v; }
            double inv = 1.0 / Math.sqrt(ss / d + c.normEps());
            for (int i = 0; i < d; i++) out[t][i] = (float) ((x[t][i] - mean) * inv * g[i] + (b == null ? 0 : b[i]));
        }
        return out;
    }

    /** x [T][in] times columns [col0, col0+n) of a row-major [in, out] matrix, plus bias[col0..] when given. */
    static float[][] project(float[][] x, Tensor m, int col0, int n, Tensor bias) {
        int in = m.dim(0), out = m.dim(1);
        float[] a = m.data();
        float[][] y = new float[x.length][n];
        for (int t = 0; t < x.length; t++) {
            double[] acc = new double[n];
            for (int i = 0; i < in; i++) {
                double xi = x[t][i];
                if (xi == 0) continue;
                int base = i * out + col0;
                for (int j = 0; j < n; j++) acc[j] += xi * a[base + j];
            }
            for (int j = 0; j < n; j++) y[t][j] = (float) (acc[j] + (bias == null ? 0 : bias.data()[col0 + j]));
        }
        return y;
    }

    private void rope(float[][] x) {
        int dh = c.dHead(), half = dh / 2;
        for (int t = 0; t < x.length; t++) {
            float[] r = x[t];
            float[] o = new float[dh];
            for (int j = 0; j < dh; j++) {
                float rot = j < half ? -r[j + half] : r[j - half];
                o[j] = r[j] * ropeCos[t * dh + j] + rot * ropeSin[t * dh + j];
            }
            x[t] = o;
        }
    }

    /** Query (after RoPE) of head h from a residual input [T][d]. */
    public float[][] query(int layer, int h, float[][] resid) {
        LayerWeights lw = w.layers().get(layer);
        float[][] q = project(norm(resid, lw.ln1W(), lw.ln1B()), lw.wQ(), h * c.dHead(), c.dHead(), lw.bQ());
        if (c.isLlama()) rope(q);
        return q;
    }

    /** Key (after RoPE) that head h reads (its key/value group's key) from a residual input. */
    public float[][] key(int layer, int h, float[][] resid) {
        LayerWeights lw = w.layers().get(layer);
        int kv = h / c.groupSize();
        float[][] k = project(norm(resid, lw.ln1W(), lw.ln1B()), lw.wK(), kv * c.dHead(), c.dHead(), lw.bK());
        if (c.isLlama()) rope(k);
        return k;
    }

    public float[][] value(int layer, int h, float[][] resid) {
        LayerWeights lw = w.layers().get(layer);
        int kv = h / c.groupSize();
        return project(norm(resid, lw.ln1W(), lw.ln1B()), lw.wV(), kv * c.dHead(), c.dHead(), lw.bV());
    }

    /** Causal attention pattern [q][k] of head h. */
    public float[][] pattern(float[][] q, float[][] k) {
        int T = q.length, dh = c.dHead();
        double scale = 1.0 / Math.sqrt(dh);
        float[][] p = new float[T][T];
        for (int i = 0; i < T; i++) {
            double[] s = new double[i + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) {
                double dot = 0;
                for (int e = 0; e < dh; e++) dot += (double) q[i][e] * k[j][e];
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j <= i; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
            for (int j = 0; j <= i; j++) p[i][j] = (float) (s[j] / sum);
        }
        return p;
    }

    /**
     * Head h's output z_h W_O[h] ([T][d], without the layer's shared b_O) when its query, key and value
     * read three possibly different residual streams: the treeified head of path patching.
     */
    public float[][] head(int layer, int h, float[][] residQ, float[][] residK, float[][] residV) {
        float[][] q = query(layer, h, residQ), k = key(layer, h, residK), v = value(layer, h, residV);
        float[][] p = pattern(q, k);
        int T = q.length, dh = c.dHead();
        float[][] z = new float[T][dh];
        for (int i = 0; i < T; i++) {
            for (int e = 0; e < dh; e++) {
                double acc = 0;
                for (int j = 0; j <= i; j++) acc += (double) p[i][j] * v[j][e];
                z[i][e] = (float) acc;
            }
        }
        return headOutput(layer, h, z);
    }

    /** z [T][d_head] of head h times its block of W_O: [T][d_model]. */
    public float[][] headOutput(int layer, int h, float[][] z) {
        LayerWeights lw = w.layers().get(layer);
        int d = c.dModel(), dh = c.dHead();
        float[] wo = lw.wO().data();
        float[][] out = new float[z.length][d];
        for (int t = 0; t < z.length; t++) {
            double[] acc = new double[d];
            for (int e = 0; e < dh; e++) {
                double ze = z[t][e];
                int base = (h * dh + e) * d;
                for (int j = 0; j < d; j++) acc[j] += ze * wo[base + j];
            }
            for (int j = 0; j < d; j++) out[t][j] = (float) acc[j];
        }
        return out;
    }

    /** MLP output (with its output bias) from a residual input (resid_mid). */
    public float[][] mlp(int layer, float[][] resid) {
        LayerWeights lw = w.layers().get(layer);
        float[][] x = norm(resid, lw.ln2W(), lw.ln2B());
        int dm = c.dMlp();
        float[][] post;
        if (c.isLlama()) {
            float[][] gate = project(x, lw.wGate(), 0, dm, null), up = project(x, lw.wIn(), 0, dm, null);
            post = new float[x.length][dm];
            for (int t = 0; t < x.length; t++)
                for (int j = 0; j < dm; j++) {
                    double g = gate[t][j];
                    post[t][j] = (float) (g / (1 + Math.exp(-g)) * up[t][j]);
                }
        } else {
            post = project(x, lw.wIn(), 0, dm, lw.bIn());
            double k = Math.sqrt(2.0 / Math.PI);
            for (float[] row : post)
                for (int j = 0; j < dm; j++) {
                    double v = row[j];
                    row[j] = (float) (0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v))));
                }
        }
        return project(post, lw.wOut(), 0, c.dModel(), lw.bOut());
    }

    /** Logits [T][vocab] from the final residual stream. */
    public float[][] logits(float[][] resid) {
        float[][] x = norm(resid, w.lnFinalW(), w.lnFinalB());
        return project(x, w.wU(), 0, c.vocabSize(), w.bU());
    }

    /** The constant b_O of a layer (zeros when the model has none): part of the residual, on no path. */
    public float[] attnBias(int layer) {
        Tensor b = w.layers().get(layer).bO();
        return b == null ? new float[c.dModel()] : b.data().clone();
    }
}
