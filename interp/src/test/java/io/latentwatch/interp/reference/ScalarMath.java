package io.latentwatch.interp.reference;

import java.util.Arrays;

/**
 * Textbook definitions of the building blocks, in double precision with plain loops. Shared by
 * the two scalar reference models only; nothing here is used by (or uses) the runtime.
 */
final class ScalarMath {
    private ScalarMath() {}

    /** y = W x for W stored row-major [out, in] (PyTorch nn.Linear / llama2.c layout). */
    static double[] linear(float[] w, int out, int in, double[] x) {
        if (w.length != out * in || x.length != in) throw new IllegalArgumentException(
                "linear: weight of " + w.length + " values is not [" + out + "," + in + "] or input length " + x.length);
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            int base = o * in;
            for (int i = 0; i < in; i++) s += w[base + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    /** y = x W + b for W stored row-major [in, out] (GPT-2's Conv1D layout); b may be null. */
    static double[] conv1d(float[] w, float[] b, int in, int out, double[] x) {
        if (w.length != out * in || x.length != in) throw new IllegalArgumentException(
                "conv1d: weight of " + w.length + " values is not [" + in + "," + out + "] or input length " + x.length);
        double[] y = new double[out];
        if (b != null) for (int o = 0; o < out; o++) y[o] = b[o];
        for (int i = 0; i < in; i++) {
            double xi = x[i];
            int base = i * out;
            for (int o = 0; o < out; o++) y[o] += xi * w[base + o];
        }
        return y;
    }

    /** RMSNorm (Zhang & Sennrich 2019): x / sqrt(mean(x^2) + eps), without the gain. */
    static double[] rmsNormalize(double[] x, double eps) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * inv;
        return y;
    }

    /** LayerNorm (Ba et al. 2016) without gain and bias: (x - mean) / sqrt(var + eps), biased variance. */
    static double[] layerNormalize(double[] x, double eps) {
        double mean = 0;
        for (double v : x) mean += v;
        mean /= x.length;
        double var = 0;
        for (double v : x) var += (v - mean) * (v - mean);
        var /= x.length;
        double inv = 1.0 / Math.sqrt(var + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (x[i] - mean) * inv;
        return y;
    }

    /** y = x * w + b elementwise (a norm's gain and bias). */
    static double[] affine(double[] x, float[] w, float[] b) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * w[i] + b[i];
        return y;
    }

    static double[] scale(double[] x, float[] w) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * w[i];
        return y;
    }

    static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }

    /** Numerically stable softmax over the first {@code n} entries; entries at n.. are masked (0). */
    static double[] softmaxPrefix(double[] scores, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, scores[i]);
        double[] p = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < n; i++) { p[i] = Math.exp(scores[i] - max); sum += p[i]; }
        for (int i = 0; i < n; i++) p[i] /= sum;
        return p;
    }

    /** SiLU / swish: x * sigmoid(x). */
    static double silu(double x) {
        return x / (1.0 + Math.exp(-x));
    }

    /** GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks & Gimpel 2016). */
    static double geluNew(double x) {
        return 0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static float[] slice(float[] a, int from, int len) {
        return Arrays.copyOfRange(a, from, from + len);
    }
}
