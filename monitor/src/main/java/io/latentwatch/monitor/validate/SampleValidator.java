package io.latentwatch.monitor.validate;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a decoded sample and widens its activations to float32. Free of Kafka: it sees a sample,
 * returns either the decoded values or the first defect found, in this order: bad model id, no activations,
 * unknown hook, bad position, duplicate (hook, position), bad dtype, shape mismatch, non-finite value.
 * Details quote producer-supplied text only up to {@value #MAX_QUOTED} characters, so a hostile
 * hook name cannot make a dead-letter header as large as the record.
 */
public final class SampleValidator {
    static final int MAX_QUOTED = 120;
    /** Model ids become state-store keys and metric labels; a real one is a name, not a paragraph. */
    public static final int MAX_MODEL_ID = 256;

    /** The outcome: decoded values (one per activation) or a reason with a detail naming where. */
    public record Result(List<float[]> values, DeadLetterReason reason, String detail) {
        public boolean valid() { return reason == null; }
        static Result ok(List<float[]> values) { return new Result(values, null, null); }
        static Result bad(DeadLetterReason reason, String detail) { return new Result(List.of(), reason, detail); }
    }

    public Result validate(HiddenStateSample sample) {
        CharSequence model = sample.getModelId();
        if (model == null || model.length() == 0 || model.length() > MAX_MODEL_ID) {
            return Result.bad(DeadLetterReason.BAD_MODEL_ID, "model id '" + quote(model) + "' is empty or longer than "
                    + MAX_MODEL_ID + " characters");
        }
        List<Activation> acts = sample.getActivations();
        if (acts == null || acts.isEmpty()) {
            return Result.bad(DeadLetterReason.NO_ACTIVATIONS, "request " + quote(sample.getRequestId()) + " has no activations");
        }
        List<float[]> out = new ArrayList<>(acts.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < acts.size(); i++) {
            Activation a = acts.get(i);
            String hook = quote(a.getHook());
            String where = "activation " + i + " (" + hook + ", position " + a.getPosition() + ")";
            if (!WireHooks.accepts(a.getHook())) {
                return Result.bad(DeadLetterReason.UNKNOWN_HOOK, where + ": '" + hook + "' is not a TransformerLens hook name");
            }
            if (a.getPosition() < 0) return Result.bad(DeadLetterReason.BAD_POSITION, where + ": negative token position");
            if (!seen.add(a.getHook() + "@" + a.getPosition())) {
                return Result.bad(DeadLetterReason.DUPLICATE_ACTIVATION, where + ": this hook and position already occur earlier in the sample");
            }
            Dtype dt = a.getDtype();
            if (dt == null) return Result.bad(DeadLetterReason.BAD_DTYPE, where + ": no dtype");
            DType dtype = DType.valueOf(dt.name());
            ByteBuffer data = a.getData();
            int bytes = data == null ? 0 : data.remaining();
            if (bytes % dtype.bytes() != 0) {
                return Result.bad(DeadLetterReason.BAD_DTYPE, where + ": " + bytes + " bytes are not a whole number of "
                        + dtype + " elements (" + dtype.bytes() + " bytes each)");
            }
            List<Integer> shape = a.getShape();
            long size = 1;
            boolean badDim = shape == null || shape.isEmpty();
            if (!badDim) {
                for (Integer d : shape) {
                    if (d == null || d <= 0) { badDim = true; break; }
                    size *= d;
                    if (size > Integer.MAX_VALUE) { badDim = true; break; }
                }
            }
            if (badDim) return Result.bad(DeadLetterReason.SHAPE_MISMATCH, where + ": invalid shape " + quote(String.valueOf(shape)));
            if (size * dtype.bytes() != bytes) {
                return Result.bad(DeadLetterReason.SHAPE_MISMATCH, where + ": shape " + quote(String.valueOf(shape)) + " needs " + size + " "
                        + dtype + " values but the data holds " + bytes / dtype.bytes());
            }
            float[] v = Float16Codec.decode(dtype, data, (int) size);
            for (int j = 0; j < v.length; j++) {
                if (!Float.isFinite(v[j])) {
                    return Result.bad(DeadLetterReason.NON_FINITE, where + ": value " + j + " is " + v[j]);
                }
            }
            out.add(v);
        }
        return Result.ok(out);
    }

    /** Producer text shortened for a detail message. */
    static String quote(CharSequence text) {
        if (text == null) return "null";
        String t = text.toString();
        return t.length() <= MAX_QUOTED ? t : t.substring(0, MAX_QUOTED) + "... (" + t.length() + " characters)";
    }
}
