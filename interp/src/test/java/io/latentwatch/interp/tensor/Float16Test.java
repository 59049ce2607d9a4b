package io.latentwatch.interp.tensor;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class Float16Test {
    @Test
    void knownHalfBitPatterns() {
        // Reference values from the IEEE 754 binary16 definition.
        assertEquals(1.0f, Float16.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, Float16.halfToFloat((short) 0xc000));
        assertEquals(65504f, Float16.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, Float16.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(Float.POSITIVE_INFINITY, Float16.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(Float16.halfToFloat((short) 0x7e00)));
        assertEquals((short) 0x3555, Float16.floatToHalf(1f / 3f)); // 0.33325195 (round to nearest)
        assertEquals((short) 0x7c00, Float16.floatToHalf(1e6f));
    }

    @Test
    void everyHalfRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Float16.halfToFloat((short) h);
            if (Float.isNaN(f)) continue;
            assertEquals((short) h, Float16.floatToHalf(f), "bits " + Integer.toHexString(h));
        }
    }

    @Test
    void bf16KeepsTopBitsAndRoundsToNearestEven() {
        assertEquals(1.0f, Float16.bf16ToFloat(Float16.floatToBf16(1.0f)));
        assertEquals((short) 0x3f80, Float16.floatToBf16(1.0f));
        // 1 + 2^-8 is exactly between two bf16 values: ties to even (down to 1.0)
        assertEquals((short) 0x3f80, Float16.floatToBf16(1f + 0x1p-8f));
        assertEquals(3.140625f, Float16.bf16ToFloat(Float16.floatToBf16(3.14159f)));
    }

    @Test
    void safetensorsRoundTripInEveryDtype(@TempDir Path dir) throws Exception {
        Tensor a = new Tensor(new float[]{1, -2, 0.5f, 3, 4, 5}, 2, 3);
        for (DType d : DType.values()) {
            Path f = dir.resolve(d + ".safetensors");
            SafeTensors.write(f, Map.of("a", a), Map.of("k", "v"), d);
            SafeTensors st = SafeTensors.open(f);
            assertEquals(d, st.dtype("a"));
            assertArrayEquals(new int[]{2, 3}, st.shape("a"));
            assertEquals(0f, st.get("a").maxAbsDiff(a));
            assertEquals("v", st.metadata().get("k"));
            var ex = assertThrows(IOException.class, () -> st.get("a", 3, 2));
            assertTrue(ex.getMessage().contains("'a'") && ex.getMessage().contains("[2, 3]"), ex.getMessage());
        }
    }

    @Test
    void truncatedFileIsReportedWithTheTensorName(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, Map.of("w", new Tensor(new float[64], 8, 8)));
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 10));
        var ex = assertThrows(IOException.class, () -> SafeTensors.open(f));
        assertTrue(ex.getMessage().contains("truncated") && ex.getMessage().contains("'w'"), ex.getMessage());
    }
}
