package io.latentwatch.interp.lens;

import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;

/**
 * y = W x + b with W stored [out, in] (PyTorch nn.Linear convention, as the tuned-lens library stores its
 * translators) and b [out]. Used for tuned-lens translators (out = in = d_model) and for cross-model
 * Patchscope maps (in = source d_model, out = target d_model).
 */
public final class AffineMap {
    private final int in, out;
    private final float[] weight; // [out, in]
    private final float[] bias;   // [out]

    public AffineMap(Tensor weight, Tensor bias) {
        if (weight.rank() != 2) throw new IllegalArgumentException("affine weight must be [out, in], got " + Arrays.toString(weight.shape()));
        this.out = weight.dim(0);
        this.in = weight.dim(1);
        if (bias.rank() != 1 || bias.dim(0) != out) {
            throw new IllegalArgumentException("affine bias must be [" + out + "], got " + Arrays.toString(bias.shape()));
        }
        this.weight = weight.data().clone();
        this.bias = bias.data().clone();
    }

    /** The identity map on d dimensions (W = I, b = 0). */
    public static AffineMap identity(int d) {
        float[] w = new float[d * d];
        for (int i = 0; i < d; i++) w[i * d + i] = 1f;
        return new AffineMap(new Tensor(w, d, d), new Tensor(new float[d], d));
    }

    public int in() { return in; }

    public int out() { return out; }

    public Tensor weight() { return new Tensor(weight.clone(), out, in); }

    public Tensor bias() { return new Tensor(bias.clone(), out); }

    /** W x + b for one vector (double accumulation). */
    public float[] apply(float[] x) {
        if (x.length != in) throw new IllegalArgumentException("affine map expects " + in + " inputs, got " + x.length);
        float[] y = new float[out];
        for (int o = 0; o < out; o++) {
            double s = bias[o];
            int base = o * in;
            for (int i = 0; i < in; i++) s += (double) weight[base + i] * x[i];
            y[o] = (float) s;
        }
        return y;
    }

    /** Applies the map to every row of x [n, in] -> [n, out]. */
    public Tensor applyRows(Tensor x) {
        int n = x.dim(0);
        if (x.rank() != 2 || x.dim(1) != in) throw new IllegalArgumentException("expected [n, " + in + "], got " + Arrays.toString(x.shape()));
        float[] o = new float[n * out];
        for (int r = 0; r < n; r++) System.arraycopy(apply(x.row(r)), 0, o, r * out, out);
        return new Tensor(o, n, out);
    }
}
