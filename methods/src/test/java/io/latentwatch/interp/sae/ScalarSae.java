package io.latentwatch.interp.sae;

import java.util.Arrays;
import java.util.function.DoubleSupplier;

/**
 * An independent, plain scalar double-precision SAE: the reference the NDArray code is checked
 * against. Masks (which latents are active, and the AuxK selection) and the AuxK residual can be
 * frozen so finite differences measure the derivative of the same smooth piece the analytic
 * gradient describes.
 */
final class ScalarSae {
    final int d, s;
    final boolean topk, applyBDec;
    final int k;
    double[] wEnc, bEnc, wDec, bDec; // [d*s], [s], [s*d], [d]

    ScalarSae(int d, int s, boolean topk, int k, boolean applyBDec) {
        this.d = d; this.s = s; this.topk = topk; this.k = k; this.applyBDec = applyBDec;
    }

    double[] pre(double[] x) {
        double[] p = new double[s];
        for (int i = 0; i < s; i++) {
            double a = bEnc[i];
            for (int j = 0; j < d; j++) a += (x[j] - (applyBDec ? bDec[j] : 0)) * wEnc[j * s + i];
            p[i] = a;
        }
        return p;
    }

    /** Active set: pre > 0, and among the k largest for TopK (sorting, independent of DJL's topK). */
    boolean[] mask(double[] pre, boolean[] allowed, int kk) {
        boolean[] m = new boolean[s];
        Integer[] idx = new Integer[s];
        for (int i = 0; i < s; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            double va = allowed == null || allowed[a] ? pre[a] : Double.NEGATIVE_INFINITY;
            double vb = allowed == null || allowed[b] ? pre[b] : Double.NEGATIVE_INFINITY;
            return Double.compare(vb, va);
        });
        int limit = kk > 0 ? kk : s;
        for (int r = 0; r < limit; r++) {
            int i = idx[r];
            if ((allowed == null || allowed[i]) && pre[i] > 0) m[i] = true;
        }
        return m;
    }

    double[] encode(double[] x) {
        double[] p = pre(x);
        boolean[] m = mask(p, null, topk ? k : 0);
        double[] z = new double[s];
        for (int i = 0; i < s; i++) z[i] = m[i] ? p[i] : 0;
        return z;
    }

    double[] decode(double[] z) {
        double[] out = bDec.clone();
        for (int i = 0; i < s; i++) for (int j = 0; j < d; j++) out[j] += z[i] * wDec[i * d + j];
        return out;
    }

    /** Frozen piecewise choices for a batch. */
    static final class Frozen {
        boolean[][] mask, auxMask;
        double[][] residual;
    }

    Frozen freeze(double[][] xs, boolean[] dead, int kAux) {
        Frozen f = new Frozen();
        f.mask = new boolean[xs.length][];
        f.auxMask = new boolean[xs.length][];
        f.residual = new double[xs.length][];
        for (int b = 0; b < xs.length; b++) {
            double[] p = pre(xs[b]);
            f.mask[b] = mask(p, null, topk ? k : 0);
            double[] z = new double[s];
            for (int i = 0; i < s; i++) z[i] = f.mask[b][i] ? p[i] : 0;
            double[] xh = decode(z);
            f.residual[b] = new double[d];
            for (int j = 0; j < d; j++) f.residual[b][j] = xs[b][j] - xh[j];
            if (dead != null) f.auxMask[b] = mask(p, dead, kAux);
        }
        return f;
    }

    /** Total loss with frozen masks: MSE (sum over d, mean over batch) + λ Σ z||W_dec|| + α·scale·AuxK. */
    double loss(double[][] xs, Frozen f, double l1, double auxCoef, int nDead, int kAux) {
        double total = 0;
        int bsz = xs.length;
        for (int b = 0; b < bsz; b++) {
            double[] p = pre(xs[b]);
            double[] z = new double[s];
            for (int i = 0; i < s; i++) z[i] = f.mask[b][i] ? p[i] : 0;
            double[] xh = decode(z);
            for (int j = 0; j < d; j++) total += (xh[j] - xs[b][j]) * (xh[j] - xs[b][j]) / bsz;
            if (l1 > 0) {
                for (int i = 0; i < s; i++) {
                    double n = 0;
                    for (int j = 0; j < d; j++) n += wDec[i * d + j] * wDec[i * d + j];
                    total += l1 * z[i] * Math.sqrt(n) / bsz;
                }
            }
            if (auxCoef > 0 && f.auxMask[b] != null) {
                double scale = auxCoef * Math.min((double) nDead / kAux, 1.0);
                double[] e = new double[d];
                for (int i = 0; i < s; i++) if (f.auxMask[b][i]) for (int j = 0; j < d; j++) e[j] += p[i] * wDec[i * d + j];
                for (int j = 0; j < d; j++) total += scale * (e[j] - f.residual[b][j]) * (e[j] - f.residual[b][j]) / bsz;
            }
        }
        return total;
    }

    /** Central finite difference of the loss with respect to one parameter entry. */
    double fd(double[] param, int idx, DoubleSupplier lossFn, double h) {
        double keep = param[idx];
        param[idx] = keep + h;
        double up = lossFn.getAsDouble();
        param[idx] = keep - h;
        double down = lossFn.getAsDouble();
        param[idx] = keep;
        return (up - down) / (2 * h);
    }
}
