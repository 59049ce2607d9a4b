package io.latentwatch.publisher;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns a float32 hidden state into the wire {@link Activation}: row-major little-endian values of
 * the chosen dtype. F16 is the default (half the bytes of F32, ~3 significant digits, enough for
 * norms and SAE codes); BF16 keeps F32's range for models with massive activations beyond F16's
 * 65504; F32 is exact.
 */
public final class ActivationEncoder {
    /** Largest finite half-precision value (IEEE 754 binary16). */
    static final float F16_MAX = 65504f;

    private final DType dtype;

    public ActivationEncoder() { this(DType.F16); }

    public ActivationEncoder(DType dtype) { this.dtype = Objects.requireNonNull(dtype, "dtype"); }

    public DType dtype() { return dtype; }

    public Activation encode(String hook, int position, int[] shape, float[] values) {
        if (hook == null || hook.isBlank()) throw new IllegalArgumentException("activation hook name is empty");
        if (position < 0) throw new IllegalArgumentException("activation at " + hook + " has negative position " + position);
        Objects.requireNonNull(values, "values");
        if (shape == null || shape.length == 0) throw new IllegalArgumentException("activation at " + hook + " has no shape");
        long size = 1;
        List<Integer> shapeList = new ArrayList<>(shape.length);
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("activation at " + hook + " has non-positive dimension " + d);
            size *= d;
            shapeList.add(d);
        }
        if (size != values.length) {
            throw new IllegalArgumentException("activation at " + hook + " position " + position + ": shape "
                    + shapeList + " holds " + size + " values but " + values.length + " were given");
        }
        if (dtype == DType.F16) {
            for (int i = 0; i < values.length; i++) {
                if (Math.abs(values[i]) > F16_MAX && Float.isFinite(values[i])) {
                    throw new IllegalArgumentException("activation at " + hook + " index " + i + " = " + values[i]
                            + " overflows F16 (max 65504); publish this hook as BF16 or F32");
                }
            }
        }
        return Activation.newBuilder()
                .setHook(hook)
                .setPosition(position)
                .setDtype(toAvro(dtype))
                .setShape(shapeList)
                .setData(ByteBuffer.wrap(Float16Codec.encode(dtype, values)))
                .build();
    }

    /** Decodes an activation back to float32 (the monitor validates shape before calling this). */
    public static float[] decode(Activation a) {
        int count = 1;
        for (int d : a.getShape()) count = Math.multiplyExact(count, d);
        return Float16Codec.decode(fromAvro(a.getDtype()), a.getData(), count);
    }

    public static Dtype toAvro(DType d) {
        return switch (d) { case F32 -> Dtype.F32; case F16 -> Dtype.F16; case BF16 -> Dtype.BF16; };
    }

    public static DType fromAvro(Dtype d) {
        if (d == null) throw new IllegalArgumentException("activation has no dtype");
        return switch (d) { case F32 -> DType.F32; case F16 -> DType.F16; case BF16 -> DType.BF16; };
    }
}
