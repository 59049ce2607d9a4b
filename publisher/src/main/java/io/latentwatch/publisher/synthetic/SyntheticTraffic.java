package io.latentwatch.publisher.synthetic;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hidden states that look like a small transformer's, for the demo and the integration tests.
 *
 * <p>Each hook has a fixed mean direction, Gaussian per-dimension noise and, for residual-stream
 * hooks, two "massive activation" dimensions with a large, stable value, as real LLM residual
 * streams have (Sun et al. 2024, "Massive Activations in Large Language Models"). Outliers are
 * the same vectors scaled up, which a norm detector must catch; malformed records each carry
 * exactly one defect, so the monitor's dead-letter reason is predictable.
 */
public final class SyntheticTraffic {
    /** A hook the synthetic model exposes: name, activation shape and noise scale. */
    public record HookSpec(String hook, int[] shape, double noise, boolean massiveDims) {
        public int size() { return Arrays.stream(shape).reduce(1, Math::multiplyExact); }
    }

    /** The defects a malformed record can carry, with the monitor's dead-letter reason for each. */
    public enum Defect {
        UNDECODABLE("undecodable"),
        BAD_DTYPE("bad-dtype"),
        SHAPE_MISMATCH("shape-mismatch"),
        NON_FINITE("non-finite"),
        UNKNOWN_HOOK("unknown-hook");

        private final String reason;
        Defect(String reason) { this.reason = reason; }
        /** The reason the monitor writes into the dead-letter header for this defect. */
        public String expectedReason() { return reason; }
    }

    /** Two hooks of a stories260K-sized model (d_model 64, 8 heads of 8). */
    public static final List<HookSpec> DEFAULT_HOOKS = List.of(
            new HookSpec("blocks.3.hook_resid_post", new int[] {64}, 1.0, true),
            new HookSpec("blocks.4.attn.hook_z", new int[] {8, 8}, 0.5, false));

    private final String modelId;
    private final String modelVersion;
    private final String nodeId;
    private final List<HookSpec> hooks;
    private final float[][] means;
    private final Random random;
    private final ActivationEncoder encoder;
    private final SamplingMetadata sampling;
    private final AtomicLong sequence = new AtomicLong();

    public SyntheticTraffic(String modelId, long seed) {
        this(modelId, "synthetic-" + Long.toHexString(seed), "synthetic-node", DEFAULT_HOOKS, seed, DType.F16);
    }

    public SyntheticTraffic(String modelId, String modelVersion, String nodeId, List<HookSpec> hooks, long seed, DType dtype) {
        if (hooks.isEmpty()) throw new IllegalArgumentException("synthetic traffic needs at least one hook");
        this.modelId = modelId;
        this.modelVersion = modelVersion;
        this.nodeId = nodeId;
        this.hooks = List.copyOf(hooks);
        this.random = new Random(seed);
        this.encoder = new ActivationEncoder(dtype);
        this.sampling = SamplingPolicy.everyRequestLastPosition().metadata();
        this.sampling.setScenario("synthetic");
        this.means = new float[hooks.size()][];
        for (int h = 0; h < hooks.size(); h++) {
            HookSpec spec = hooks.get(h);
            float[] m = new float[spec.size()];
            for (int i = 0; i < m.length; i++) m[i] = (float) (0.3 * spec.noise() * random.nextGaussian());
            if (spec.massiveDims()) { m[7 % m.length] = (float) (12 * spec.noise()); m[29 % m.length] = (float) (-9 * spec.noise()); }
            means[h] = m;
        }
    }

    public List<HookSpec> hooks() { return hooks; }
    public String modelId() { return modelId; }

    /** A sample from normal traffic. */
    public synchronized HiddenStateSample normal() { return sample(1.0, "normal"); }

    /** A sample whose every activation is {@code factor} times larger than normal. */
    public synchronized HiddenStateSample outlier(double factor) { return sample(factor, "outlier"); }

    private HiddenStateSample sample(double factor, String kind) {
        long n = sequence.incrementAndGet();
        int seqLen = 8 + random.nextInt(25);
        List<Integer> tokens = new ArrayList<>(seqLen);
        tokens.add(1); // BOS
        for (int i = 1; i < seqLen; i++) tokens.add(2 + random.nextInt(510));
        List<Activation> acts = new ArrayList<>(hooks.size());
        for (int h = 0; h < hooks.size(); h++) {
            HookSpec spec = hooks.get(h);
            float[] v = new float[spec.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (factor * (means[h][i] + spec.noise() * random.nextGaussian()));
            acts.add(encoder.encode(spec.hook(), seqLen - 1, spec.shape(), v));
        }
        return HiddenStateSample.newBuilder()
                .setModelId(modelId)
                .setModelVersion(modelVersion)
                .setNodeId(nodeId)
                .setRequestId(kind + "-" + modelId + "-" + n)
                .setTimestampMs(Instant.now())
                .setTokenIds(tokens)
                .setSampling(SamplingMetadata.newBuilder(sampling).build())
                .setActivations(acts)
                .build();
    }

    /** A record carrying exactly one {@code defect}, as the bytes a broken producer would write. */
    public synchronized byte[] malformed(Defect defect, Serializer<HiddenStateSample> serializer, String topic) {
        HiddenStateSample s = sample(1.0, "malformed-" + defect.expectedReason());
        Activation a = s.getActivations().get(0);
        int size = a.getShape().stream().reduce(1, Math::multiplyExact);
        switch (defect) {
            case UNDECODABLE -> {
                // A valid header and schema id followed by a truncated Avro body: the decoder runs out of bytes.
                byte[] good = serializer.serialize(topic, s);
                return Arrays.copyOf(good, Math.max(6, good.length / 2));
            }
            case BAD_DTYPE -> {
                // One stray byte: the data is no whole number of 2-byte F16 elements.
                byte[] data = Float16Codec.encode(DType.F16, new float[size]);
                a.setDtype(Dtype.F16);
                a.setData(ByteBuffer.wrap(Arrays.copyOf(data, data.length + 1)));
            }
            case SHAPE_MISMATCH -> {
                float[] fewer = new float[size * 3 / 4];
                a.setData(ByteBuffer.wrap(Float16Codec.encode(ActivationEncoder.fromAvro(a.getDtype()), fewer)));
            }
            case NON_FINITE -> {
                float[] v = ActivationEncoder.decode(a);
                v[random.nextInt(v.length)] = random.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY;
                a.setData(ByteBuffer.wrap(Float16Codec.encode(ActivationEncoder.fromAvro(a.getDtype()), v)));
            }
            case UNKNOWN_HOOK -> a.setHook(a.getHook().replace("hook_", "hk_"));
        }
        return serializer.serialize(topic, s);
    }
}
