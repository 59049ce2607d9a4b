package io.latentwatch.publisher;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationEncoderTest {
    private static float[] randomValues(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (3 * r.nextGaussian());
        return v;
    }

    @Test
    void f16IsTheDefaultAndRoundTripsWithinHalfPrecision() {
        float[] v = randomValues(64, 1);
        Activation a = new ActivationEncoder().encode("blocks.3.hook_resid_post", 7, new int[] {64}, v);
        assertEquals(Dtype.F16, a.getDtype());
        assertEquals(List.of(64), a.getShape());
        assertEquals(7, a.getPosition());
        assertEquals(128, a.getData().remaining());
        float[] back = ActivationEncoder.decode(a);
        for (int i = 0; i < v.length; i++) {
            // binary16 has an 11-bit significand: relative rounding error at most 2^-11.
            assertEquals(v[i], back[i], Math.abs(v[i]) * 0x1p-11 + 1e-7, "index " + i);
        }
    }

    @Test
    void f32IsExactAndLittleEndian() {
        float[] v = randomValues(6, 2);
        Activation a = new ActivationEncoder(DType.F32).encode("blocks.0.attn.hook_z", 0, new int[] {2, 3}, v);
        assertEquals(Dtype.F32, a.getDtype());
        ByteBuffer b = a.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) assertEquals(Float.floatToIntBits(x), b.getInt());
        assertArrayEquals(v, ActivationEncoder.decode(a));
    }

    @Test
    void bf16KeepsLargeValuesThatOverflowF16() {
        float[] v = {1e5f, -3e6f, 0.5f};
        assertThrows(IllegalArgumentException.class,
                () -> new ActivationEncoder().encode("blocks.1.hook_resid_post", 0, new int[] {3}, v));
        Activation a = new ActivationEncoder(DType.BF16).encode("blocks.1.hook_resid_post", 0, new int[] {3}, v);
        float[] back = ActivationEncoder.decode(a);
        // bfloat16 has an 8-bit significand: relative error at most 2^-8.
        for (int i = 0; i < v.length; i++) assertEquals(v[i], back[i], Math.abs(v[i]) * 0x1p-8);
    }

    @Test
    void shapeThatDoesNotMatchTheValuesIsRejectedWithTheHookNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ActivationEncoder().encode("blocks.2.hook_mlp_out", 4, new int[] {8, 8}, new float[60]));
        assertTrue(e.getMessage().contains("blocks.2.hook_mlp_out") && e.getMessage().contains("64"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ActivationEncoder().encode("blocks.2.hook_mlp_out", 0, new int[] {0}, new float[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new ActivationEncoder().encode(" ", 0, new int[] {1}, new float[1]));
    }
}
