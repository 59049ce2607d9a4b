package io.latentwatch.interp.reference;

import java.util.Arrays;

/** A double-precision row-major tensor produced by the scalar reference forward passes. */
public record RefTensor(double[] data, int... shape) {
    public RefTensor {
        long n = 1;
        for (int s : shape) n *= s;
        if (n != data.length) throw new IllegalArgumentException(
                "shape " + Arrays.toString(shape) + " holds " + n + " values, got " + data.length);
    }

    /** Builds a tensor from rows (e.g. [pos][d_model]). */
    public static RefTensor ofRows(double[][] rows) {
        int w = rows.length == 0 ? 0 : rows[0].length;
        double[] d = new double[rows.length * w];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, d, i * w, w);
        return new RefTensor(d, rows.length, w);
    }

    /** Builds a [pos, heads, dHead] tensor from [pos][heads][dHead]. */
    public static RefTensor ofPosHead(double[][][] v) {
        int p = v.length, h = v[0].length, e = v[0][0].length;
        double[] d = new double[p * h * e];
        for (int i = 0; i < p; i++) for (int j = 0; j < h; j++) System.arraycopy(v[i][j], 0, d, (i * h + j) * e, e);
        return new RefTensor(d, p, h, e);
    }

    /** Row {@code i} of the tensor viewed as [shape[0], rest]. */
    public double[] row(int i) {
        int w = data.length / shape[0];
        return Arrays.copyOfRange(data, i * w, (i + 1) * w);
    }

    /** Largest |this - other| over all elements; the element counts must match. */
    public double maxAbsDiff(float[] other) {
        if (other.length != data.length) throw new IllegalArgumentException(
                "reference " + Arrays.toString(shape) + " has " + data.length + " values, other has " + other.length);
        double m = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == other[i]) continue; // also equal infinities (masked attention scores)
            double d = Math.abs(data[i] - other[i]);
            if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
            m = Math.max(m, d);
        }
        return m;
    }

    public double maxAbsDiff(RefTensor other) {
        if (!Arrays.equals(shape, other.shape)) throw new IllegalArgumentException(
                "shape " + Arrays.toString(shape) + " vs " + Arrays.toString(other.shape));
        double m = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == other.data[i]) continue;
            double d = Math.abs(data[i] - other.data[i]);
            if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
            m = Math.max(m, d);
        }
        return m;
    }

    public double maxAbs() {
        double m = 0;
        for (double v : data) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }
}
