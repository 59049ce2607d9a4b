package io.latentwatch.publisher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.schema.Activation;
import org.junit.jupiter.api.Test;

/**
 * The shared vectors of the activation encoding and of the seeded sampling decisions
 * ({@code schemas/src/test/resources/vectors/encoding.json} and {@code sampling.json}), which the
 * Python package's tests check as well: the Python publisher writes the same bytes and makes the
 * same seeded choices. Regenerate with {@code -Dlatentwatch.vectors.write=true}.
 */
class SharedVectorsTest {
    static final Path DIR = Path.of("../schemas/src/test/resources/vectors");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final HexFormat HEX = HexFormat.of();

    /** Values as float32 bits: zeros, ties, subnormals, F16's edge, NaN with a payload, infinities. */
    private static final int[] BITS = {
        0x00000000, 0x80000000, 0x3f800000, 0xc0000000, 0x3eaaaaab, 0x477fe000, 0x477fefff, 0x477ff000,
        0x33000000, 0x33400000, 0x33800000, 0x387fc000, 0x38800000, 0x3f801000, 0x3f803000, 0x3f808000,
        0x3f818000, 0x7f7fffff, 0x00000001, 0x7fc00000, 0x7f800001, 0xffc12345, 0x7f800000, 0xff800000,
        0x42f6e979, 0xc49a522b, 0x3c23d70a, 0xbdcccccd};

    @Test
    void theEncoderWritesTheBytesOfTheSharedVectors() throws IOException {
        if (Boolean.getBoolean("latentwatch.vectors.write")) writeEncoding();
        JsonNode file = JSON.readTree(DIR.resolve("encoding.json").toFile());
        for (JsonNode c : file.get("cases")) {
            DType dtype = DType.valueOf(c.get("dtype").asText());
            float[] values = floats(c.get("float32_bits"));
            int[] shape = {values.length};
            if (c.hasNonNull("error")) {
                assertThrows(IllegalArgumentException.class, () -> new ActivationEncoder(dtype).encode("h", 0, shape, values), c.toString());
                continue;
            }
            Activation a = new ActivationEncoder(dtype).encode("h", 0, shape, values);
            assertEquals(c.get("hex").asText(), HEX.formatHex(bytes(a.getData())), c.get("name").asText());
            float[] back = ActivationEncoder.decode(a);
            assertArrayEquals(floats(c.get("decoded_float32_bits")), back, c.get("name").asText());
        }
    }

    @Test
    void theSeededChoicesAreThoseOfTheSharedVectors() throws IOException {
        if (Boolean.getBoolean("latentwatch.vectors.write")) writeSampling();
        // Through text, so that both sides hold the same JSON number types.
        assertEquals(JSON.readTree(DIR.resolve("sampling.json").toFile()), JSON.readTree(JSON.writeValueAsString(sampling())));
    }

    private static JsonNode sampling() {
        ObjectNode root = JSON.createObjectNode();
        root.put("about", "Seeded choices of the Java side, checked by publisher's SharedVectorsTest and python/tests/test_vectors.py. "
                + "java_random: java.util.Random(seed).nextDouble(); sample_request: SamplingPolicy(rate, seed).sampleRequest(); "
                + "random_k: SamplingPolicy(random-k, k, seed).positions(seq_len) called repeatedly; "
                + "splittable: java.util.SplittableRandom(seed).nextLong(bound) (the node's per-hook reservoir draws).");
        ArrayNode jr = root.putArray("java_random");
        for (long seed : new long[] {0, 42, -7, 123456789012345L}) {
            Random r = new Random(seed);
            ObjectNode o = jr.addObject().put("seed", seed);
            ArrayNode d = o.putArray("next_double");
            for (int i = 0; i < 5; i++) d.add(r.nextDouble());
            ArrayNode n = o.putArray("next_int_100");
            for (int i = 0; i < 5; i++) n.add(r.nextInt(100));
            ArrayNode p = o.putArray("next_int_64");
            for (int i = 0; i < 5; i++) p.add(r.nextInt(64));
        }
        ArrayNode sr = root.putArray("sample_request");
        for (double rate : new double[] {0.1, 0.5, 1.0}) {
            SamplingPolicy policy = new SamplingPolicy(rate, Set.of(), SamplingPolicy.Positions.LAST, 1, 11);
            ArrayNode d = sr.addObject().put("rate", rate).put("seed", 11).putArray("decisions");
            for (int i = 0; i < 40; i++) d.add(policy.sampleRequest());
        }
        ArrayNode rk = root.putArray("random_k");
        SamplingPolicy policy = new SamplingPolicy(1.0, Set.of(), SamplingPolicy.Positions.RANDOM_K, 3, 5);
        ObjectNode rko = rk.addObject().put("k", 3).put("seed", 5);
        ArrayNode calls = rko.putArray("calls");
        for (int len : new int[] {10, 2, 7, 50, 3, 4}) {
            ArrayNode c = calls.addObject().put("seq_len", len).putArray("positions");
            for (int p : policy.positions(len)) c.add(p);
        }
        ArrayNode sp = root.putArray("splittable");
        for (long seed : new long[] {0, 99, -3}) {
            SplittableRandom r = new SplittableRandom(seed);
            ObjectNode o = sp.addObject().put("seed", seed);
            ArrayNode bounds = o.putArray("bounds");
            ArrayNode draws = o.putArray("next_long");
            for (long b = 1; b <= 40; b += 3) {
                bounds.add(b);
                draws.add(r.nextLong(b));
            }
        }
        return root;
    }

    private static void writeSampling() throws IOException {
        JSON.writeValue(DIR.resolve("sampling.json").toFile(), sampling());
    }

    private static void writeEncoding() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("about", "Activation bytes of the Java encoder (ActivationEncoder over Float16Codec: little-endian, round to "
                + "nearest even, NaN kept a quiet NaN), checked by publisher's SharedVectorsTest and python/tests/test_vectors.py. "
                + "Inputs are float32 bit patterns; a case with 'error' must be refused at encode time.");
        ArrayNode cases = root.putArray("cases");
        for (DType dtype : DType.values()) {
            List<Integer> ok = new ArrayList<>();
            for (int b : BITS) {
                float f = Float.intBitsToFloat(b);
                if (dtype == DType.F16 && Float.isFinite(f) && Math.abs(f) > ActivationEncoder.F16_MAX) {
                    ObjectNode e = cases.addObject().put("name", dtype + " overflow " + f).put("dtype", dtype.name());
                    e.putArray("float32_bits").add(String.format("%08x", b));
                    e.put("error", "overflows F16 (max 65504)");
                } else {
                    ok.add(b);
                }
            }
            float[] values = new float[ok.size()];
            for (int i = 0; i < values.length; i++) values[i] = Float.intBitsToFloat(ok.get(i));
            Activation a = new ActivationEncoder(dtype).encode("h", 0, new int[] {values.length}, values);
            ObjectNode c = cases.addObject().put("name", dtype + " edge values").put("dtype", dtype.name());
            ArrayNode in = c.putArray("float32_bits");
            for (int b : ok) in.add(String.format("%08x", b));
            c.put("hex", HEX.formatHex(bytes(a.getData())));
            ArrayNode out = c.putArray("decoded_float32_bits");
            for (float f : ActivationEncoder.decode(a)) out.add(String.format("%08x", Float.floatToRawIntBits(f)));
        }
        Files.createDirectories(DIR);
        JSON.writeValue(DIR.resolve("encoding.json").toFile(), root);
    }

    private static float[] floats(JsonNode bits) {
        float[] v = new float[bits.size()];
        for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(bits.get(i).asText(), 16));
        return v;
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
