package io.latentwatch.interp.tensor;

import java.util.Arrays;

/**
 * A dense row-major float32 tensor held on the Java heap: the form in which activations leave
 * the DJL runtime (caches, SAE inputs, wire encoding). Deliberately tiny: computing happens on
 * NDArrays; this is the exchange format.
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    public Tensor(float[] data, int... shape) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values but " + data.length + " were given");
        }
        this.data = data;
        this.shape = shape.clone();
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= s;
        }
        return n;
    }

    /** The backing array (not a copy). */
    public float[] data() { return data; }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public int size() { return data.length; }

    /** Row {@code i} of the tensor viewed as [shape[0], rest]: a copy. */
    public float[] row(int i) {
        int w = data.length / shape[0];
        return Arrays.copyOfRange(data, i * w, (i + 1) * w);
    }

    public Tensor reshape(int... newShape) {
        return new Tensor(data, newShape);
    }

    /** Largest absolute elementwise difference; shapes must match. */
    public float maxAbsDiff(Tensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " vs " + Arrays.toString(other.shape));
        }
        float m = 0;
        for (int i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i] - other.data[i]));
        return m;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
