package io.latentwatch.common.dtype;

/** Element types latentwatch reads and writes. Everything is widened to F32 before computing. */
public enum DType {
    F32(4, "F32"), F16(2, "F16"), BF16(2, "BF16");

    private final int bytes;
    private final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    public int bytes() { return bytes; }

    /** The dtype string used in a safetensors header. */
    public String safetensorsName() { return safetensorsName; }

    public static DType fromSafetensors(String name) {
        for (DType d : values()) {
            if (d.safetensorsName.equals(name)) return d;
        }
        throw new IllegalArgumentException("unsupported safetensors dtype '" + name
                + "': latentwatch reads F32, F16 and BF16 tensors");
    }
}
