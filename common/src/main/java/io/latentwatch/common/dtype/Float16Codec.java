package io.latentwatch.common.dtype;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian bytes of a dtype to and from float32 arrays: the wire and file encoding. */
public final class Float16Codec {
    private Float16Codec() {}

    /** Decodes {@code count} values of {@code dtype} from a little-endian buffer. */
    public static float[] decode(DType dtype, ByteBuffer buf, int count) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != (long) count * dtype.bytes()) {
            throw new IllegalArgumentException(dtype + " data of " + b.remaining() + " bytes cannot hold "
                    + count + " values (" + ((long) count * dtype.bytes()) + " bytes needed)");
        }
        float[] out = new float[count];
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> { for (int i = 0; i < count; i++) out[i] = Float16.halfToFloat(b.getShort()); }
            case BF16 -> { for (int i = 0; i < count; i++) out[i] = Float16.bf16ToFloat(b.getShort()); }
        }
        return out;
    }

    public static float[] decode(DType dtype, byte[] bytes, int count) {
        return decode(dtype, ByteBuffer.wrap(bytes), count);
    }

    /** Encodes float32 values as little-endian bytes of {@code dtype}. */
    public static byte[] encode(DType dtype, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(values);
            case F16 -> { for (float v : values) b.putShort(Float16.floatToHalf(v)); }
            case BF16 -> { for (float v : values) b.putShort(Float16.floatToBf16(v)); }
        }
        return b.array();
    }
}
