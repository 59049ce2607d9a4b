package io.latentwatch.monitor.validate;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleValidatorTest {
    private final SampleValidator validator = new SampleValidator();
    private final SyntheticTraffic traffic = new SyntheticTraffic("m", 5);

    @Test
    void aGoodSampleIsDecodedToFloat32() {
        float[] v = {1.5f, -2.25f, 0f, 3f};
        HiddenStateSample s = traffic.normal();
        s.setActivations(List.of(new ActivationEncoder(DType.BF16).encode("blocks.0.hook_resid_post", 2, new int[] {2, 2}, v)));
        SampleValidator.Result r = validator.validate(s);
        assertTrue(r.valid(), r.detail());
        assertArrayEquals(v, r.values().get(0)); // exactly representable in bf16
    }

    private SampleValidator.Result withFirst(Consumer<Activation> defect) {
        HiddenStateSample s = traffic.normal();
        defect.accept(s.getActivations().get(0));
        return validator.validate(s);
    }

    @Test
    void eachDefectHasItsReasonAndNamesTheActivation() {
        SampleValidator.Result hook = withFirst(a -> a.setHook("blocks.3.hook_resid_postt"));
        assertEquals(DeadLetterReason.UNKNOWN_HOOK, hook.reason());
        assertTrue(hook.detail().contains("blocks.3.hook_resid_postt"), hook.detail());

        assertEquals(DeadLetterReason.BAD_DTYPE, withFirst(a -> a.setData(ByteBuffer.wrap(new byte[129]))).reason());
        assertEquals(DeadLetterReason.BAD_DTYPE, withFirst(a -> a.setDtype(null)).reason());

        SampleValidator.Result shape = withFirst(a -> a.setShape(List.of(8, 9)));
        assertEquals(DeadLetterReason.SHAPE_MISMATCH, shape.reason());
        assertTrue(shape.detail().contains("72") && shape.detail().contains("64"), shape.detail());
        assertEquals(DeadLetterReason.SHAPE_MISMATCH, withFirst(a -> a.setShape(List.of())).reason());
        assertEquals(DeadLetterReason.SHAPE_MISMATCH, withFirst(a -> a.setShape(List.of(-64, -1))).reason());
        // 64 F16 values are 128 bytes = 32 F32 values: the dtype label decides the element count.
        assertEquals(DeadLetterReason.SHAPE_MISMATCH, withFirst(a -> a.setDtype(Dtype.F32)).reason());

        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            SampleValidator.Result r = withFirst(a -> {
                float[] v = new float[64];
                v[17] = bad;
                a.setData(ByteBuffer.wrap(Float16Codec.encode(DType.F16, v)));
            });
            assertEquals(DeadLetterReason.NON_FINITE, r.reason());
            assertTrue(r.detail().contains("value 17"), r.detail());
        }

        HiddenStateSample empty = traffic.normal();
        empty.setActivations(List.of());
        assertEquals(DeadLetterReason.NO_ACTIVATIONS, validator.validate(empty).reason());
    }
}
