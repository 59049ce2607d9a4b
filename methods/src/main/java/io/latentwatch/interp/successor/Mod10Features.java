package io.latentwatch.interp.successor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mod-10 structure in the effective embeddings of number tokens (Gould et al. 2023, §3):
 * <ul>
 * <li>a linear probe (ridge least squares onto one-hot t mod 10, closed form) scored leave-one-decade-out, so
 *     a held-out decade's units digit must be read from features shared with other decades (chance 10%);</li>
 * <li>feature directions f_k = mean of r(t) over t ≡ k (mod 10) minus the mean over all numbers (class-mean
 *     directions; what vector arithmetic adds and subtracts);</li>
 * <li>the head's behaviour carried by the span of the f_k: units-digit accuracy of the OV circuit on r(t),
 *     on mean + projection onto span{f_k}, and on r(t) with that span projected out;</li>
 * <li>vector-arithmetic edits: r(t) − f_{t mod 10} + f_k should make the head predict the successor of the
 *     number with units digit k in t's decade (the paper: 89% success on 20-29).</li>
 * </ul>
 */
public final class Mod10Features {
    private Mod10Features() {}

    public record Result(int numbers, double probeHeldOutAccuracy, double probeEmbeddingOnly, double probeMlp0Only, double unitsAccuracyFull, double unitsAccuracyMod10Only,
                         double unitsAccuracyMod10Removed, double editSuccess2029, int edits2029, double editSuccessAll, int editsAll,
                         double[][] classMeans) {}

    /** {@code values[i]} is the number of {@code ids[i]} (0..99). Needs at least two full decades. */
    public static Result analyse(OvCircuit ov, int layer, int head, int[] ids, int[] values) {
        int n = ids.length, d = ov.config().dModel();
        if (n < 20) throw new IllegalArgumentException("mod-10 analysis needs at least 20 single-token numbers, found " + n);
        float[][] r = ov.inputs(layer, ids);
        double[] mean = new double[d];
        for (float[] row : r) for (int j = 0; j < d; j++) mean[j] += row[j] / n;
        double[][] f = new double[10][d];
        int[] cnt = new int[10];
        for (int i = 0; i < n; i++) {
            int k = values[i] % 10;
            cnt[k]++;
            for (int j = 0; j < d; j++) f[k][j] += r[i][j];
        }
        for (int k = 0; k < 10; k++) for (int j = 0; j < d; j++) f[k][j] = cnt[k] == 0 ? 0 : f[k][j] / cnt[k] - mean[j];

        double probe = heldOutProbe(r, values);
        float[][] emb = ov.embeddings(ids);
        double probeEmb = heldOutProbe(emb, values), probeMlp = heldOutProbe(ov.mlp0(emb), values);

        // orthonormal basis of span{f_k} (Gram-Schmidt; rank <= 9 since the f_k sum to ~0)
        List<double[]> basis = new ArrayList<>();
        for (double[] v : f) {
            double[] u = v.clone();
            for (double[] b : basis) { double p = dot(u, b); for (int j = 0; j < d; j++) u[j] -= p * b[j]; }
            double nn = Math.sqrt(dot(u, u));
            if (nn > 1e-6 * Math.sqrt(dot(v, v)) && nn > 1e-9) { for (int j = 0; j < d; j++) u[j] /= nn; basis.add(u); }
        }
        float[][] only = new float[n][d], removed = new float[n][d];
        for (int i = 0; i < n; i++) {
            double[] c = new double[d];
            for (int j = 0; j < d; j++) c[j] = r[i][j] - mean[j];
            double[] proj = new double[d];
            for (double[] b : basis) { double p = dot(c, b); for (int j = 0; j < d; j++) proj[j] += p * b[j]; }
            for (int j = 0; j < d; j++) {
                only[i][j] = (float) (mean[j] + proj[j]);
                removed[i][j] = (float) (r[i][j] - proj[j]);
            }
        }
        double full = unitsAccuracy(ov, layer, head, r, ids, values);
        double o = unitsAccuracy(ov, layer, head, only, ids, values);
        double rm = unitsAccuracy(ov, layer, head, removed, ids, values);

        // vector arithmetic
        int[] byValue = new int[101];
        Arrays.fill(byValue, -1);
        for (int i = 0; i < n; i++) byValue[values[i]] = ids[i];
        int ok2029 = 0, n2029 = 0, okAll = 0, nAll = 0;
        for (int i = 0; i < n; i++) {
            int t = values[i], decade = t / 10 * 10;
            for (int k = 0; k < 10; k++) {
                if (k == t % 10) continue;
                int target = decade + k + 1;
                if (target > 99 || byValue[target] < 0) continue;
                float[] e = new float[d];
                for (int j = 0; j < d; j++) e[j] = (float) (r[i][j] - f[t % 10][j] + f[k][j]);
                float[] lg = ov.logits(layer, head, new float[][] {e})[0];
                int pred = values[SuccessionScores.argmaxAmong(lg, ids)];
                boolean hit = pred == target;
                if (t >= 20 && t <= 29) { n2029++; if (hit) ok2029++; }
                nAll++;
                if (hit) okAll++;
            }
        }
        return new Result(n, probe, probeEmb, probeMlp, full, o, rm, n2029 == 0 ? Double.NaN : (double) ok2029 / n2029, n2029,
                nAll == 0 ? Double.NaN : (double) okAll / nAll, nAll, f);
    }

    /** Share of numbers whose OV top number (among the number tokens) has units digit (t + 1) mod 10. */
    static double unitsAccuracy(OvCircuit ov, int layer, int head, float[][] reps, int[] ids, int[] values) {
        float[][] lg = ov.logits(layer, head, reps);
        int ok = 0;
        for (int i = 0; i < reps.length; i++)
            if (values[SuccessionScores.argmaxAmong(lg[i], ids)] % 10 == (values[i] + 1) % 10) ok++;
        return (double) ok / reps.length;
    }

    /** Leave-one-decade-out accuracy of a ridge probe r -> one-hot(t mod 10) on centred features. */
    static double heldOutProbe(float[][] r, int[] values) {
        int n = r.length, d = r[0].length, ok = 0, total = 0;
        for (int dec = 0; dec < 10; dec++) {
            List<Integer> tr = new ArrayList<>(), te = new ArrayList<>();
            for (int i = 0; i < n; i++) (values[i] / 10 == dec ? te : tr).add(i);
            if (te.isEmpty() || tr.size() < 10) continue;
            double[] mu = new double[d];
            for (int i : tr) for (int j = 0; j < d; j++) mu[j] += r[i][j] / tr.size();
            double[][] a = new double[d][d], b = new double[d][10];
            for (int i : tr) {
                double[] x = new double[d];
                for (int j = 0; j < d; j++) x[j] = r[i][j] - mu[j];
                for (int p = 0; p < d; p++) {
                    for (int q = 0; q < d; q++) a[p][q] += x[p] * x[q];
                    b[p][values[i] % 10] += x[p];
                }
            }
            double tr0 = 0;
            for (int p = 0; p < d; p++) tr0 += a[p][p];
            for (int p = 0; p < d; p++) a[p][p] += 1e-3 * tr0 / d;   // ridge, scaled to the data
            double[][] w = solve(a, b);
            for (int i : te) {
                double best = Double.NEGATIVE_INFINITY;
                int arg = -1;
                for (int k = 0; k < 10; k++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) s += (r[i][j] - mu[j]) * w[j][k];
                    if (s > best) { best = s; arg = k; }
                }
                total++;
                if (arg == values[i] % 10) ok++;
            }
        }
        return total == 0 ? Double.NaN : (double) ok / total;
    }

    /** Solves A X = B (A symmetric positive definite) by Gaussian elimination with partial pivoting. */
    static double[][] solve(double[][] a0, double[][] b0) {
        int n = a0.length, m = b0[0].length;
        double[][] a = new double[n][], b = new double[n][];
        for (int i = 0; i < n; i++) { a[i] = a0[i].clone(); b[i] = b0[i].clone(); }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
            double[] t = a[c]; a[c] = a[p]; a[p] = t;
            t = b[c]; b[c] = b[p]; b[p] = t;
            for (int i = c + 1; i < n; i++) {
                double fct = a[i][c] / a[c][c];
                if (fct == 0) continue;
                for (int j = c; j < n; j++) a[i][j] -= fct * a[c][j];
                for (int j = 0; j < m; j++) b[i][j] -= fct * b[c][j];
            }
        }
        double[][] x = new double[n][m];
        for (int i = n - 1; i >= 0; i--)
            for (int j = 0; j < m; j++) {
                double s = b[i][j];
                for (int k = i + 1; k < n; k++) s -= a[i][k] * x[k][j];
                x[i][j] = s / a[i][i];
            }
        return x;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
